import ConsulAPI
import ConsulClient
import LiveRuntime
import Wire

/// `consul kv <subcommand>`; the parent alone prints its help and exits 1.
enum KVCommand {
    static let help = """
    Usage: consul kv <subcommand> [options] [args]

      This command has subcommands for interacting with Consul's key-value
      store. Here are some simple examples, and more detailed examples are
      available in the subcommands or the documentation.

    Subcommands:
        delete    Removes data from the KV store
        export    Exports a tree from the KV store as JSON
        get       Retrieves or lists data from the KV store
        import    Imports a tree stored as JSON to the KV store
        put       Sets or updates data in the KV store
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(help); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "get": return KVGetCommand.run(rest, console)
        case "put": return KVPutCommand.run(rest, console)
        case "delete": return KVDeleteCommand.run(rest, console)
        case "export": return KVExportCommand.run(rest, console)
        case "import": return KVImportCommand.run(rest, console)
        case "-h", "-help", "--help": console.info(help); return 0
        default: console.error(help); return 1
        }
    }

    /// Pairs cannot start with `/`; Consul strips one for users who type `/foo`.
    static func normalizeKey(_ key: String) -> String {
        key.hasPrefix("/") ? String(key.dropFirst()) : key
    }

    /// The `-detailed` block: tabwriter with padding 6, `Session` shown as `-` when unlocked.
    static func detailed(_ pair: KVPair, base64: Bool, includeValue: Bool = true) -> String {
        var rows = [
            ["CreateIndex", String(pair.createIndex)],
            ["Flags", String(pair.flags)],
            ["Key", pair.key],
            ["LockIndex", String(pair.lockIndex)],
            ["ModifyIndex", String(pair.modifyIndex)],
            ["Session", pair.session.isEmpty ? "-" : pair.session],
        ]
        if includeValue { rows.append(["Value", valueText(pair.value, base64: base64)]) }
        return tabulate(rows, padding: 6).joined(separator: "\n")
    }

    static func valueText(_ value: [UInt8], base64: Bool) -> String {
        base64 ? Base64.encode(value) : String(decoding: value, as: UTF8.self)
    }
}

/// `consul kv get [-base64] [-detailed] [-keys] [-recurse] [-separator=/] [KEY_OR_PREFIX]`.
enum KVGetCommand {
    static let help = "Usage: consul kv get [options] [KEY_OR_PREFIX]\n\n  Retrieves the value from Consul's key-value store at the given key name."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.bool("base64", "Base64 encode the value. The default value is false.")
        flags.bool("detailed", "Provide additional metadata about the key in addition to the value such as the ModifyIndex and any flags that may have been set on the key. The default value is false.")
        flags.bool("keys", "List keys which start with the given prefix, but not their values. The default value is false.")
        flags.bool("recurse", "Recursively look at all keys prefixed with the given path. The default value is false.")
        flags.value("separator", "<string>", "String to use as a separator between keys. The default value is \"/\", but this option is only taken into account when paired with the -keys flag.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let positional = flags.positional
        guard positional.count <= 1 else {
            console.error("Too many arguments (expected 1, got \(positional.count))")
            return 1
        }
        let key = KVCommand.normalizeKey(positional.first ?? "")
        let recurse = flags.flag("recurse"), keys = flags.flag("keys"), base64 = flags.flag("base64"), detailed = flags.flag("detailed")
        if key.isEmpty && !(recurse || keys) {
            console.error("Error! Missing KEY argument")
            return 1
        }
        do {
            let client = try HTTPFlags.client(flags)
            if keys {
                let separator = recurse ? "" : (flags.string("separator") ?? "/")
                for k in try client.kvKeys(key, separator: separator) { console.info(k) }
                return 0
            }
            if recurse {
                let pairs = try client.kvList(key)
                for (i, pair) in pairs.enumerated() {
                    if detailed {
                        console.info(KVCommand.detailed(pair, base64: base64))
                        if i < pairs.count - 1 { console.info("") }
                    } else {
                        console.info("\(pair.key):\(KVCommand.valueText(pair.value, base64: base64))")
                    }
                }
                return 0
            }
            guard let pair = try client.kvGet(key) else {
                console.error("Error! No key exists at: \(key)")
                return 1
            }
            if detailed {
                console.info(KVCommand.detailed(pair, base64: base64))
            } else if base64 {
                console.info(Base64.encode(pair.value))
            } else {
                console.rawBytes(pair.value + [10])
            }
            return 0
        } catch {
            console.error("Error querying Consul agent: \(error)")
            return 1
        }
    }
}

/// `consul kv put [-base64] [-flags N] [-cas -modify-index N] KEY [DATA|@file|-]`.
enum KVPutCommand {
    static let help = "Usage: consul kv put [options] KEY [DATA]\n\n  Writes the data to the given path in the key-value store."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("datacenter", "<value>", "Name of the datacenter to query.")
        flags.bool("acquire", "Obtain a lock on the key. If the key does not exist, this will create the key and obtain the lock. The session must already exist and be specified via the -session flag. The default value is false.")
        flags.bool("base64", "Treat the data as base 64 encoded. The default value is false.")
        flags.bool("cas", "Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.")
        flags.value("flags", "<uint>", "Unsigned integer value to assign to this key-value pair. This value is not read by Consul, so clients can use this value however makes sense for their use case. The default value is 0.")
        flags.value("modify-index", "<uint>", "Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.")
        flags.bool("release", "Forfeit the lock on the key at the given path. This requires the -session flag to be set. The key must be held by the session in order to be unlocked. The default value is false.")
        flags.value("session", "<string>", "User-defined identifer for this session as a string. This is commonly used with the -acquire and -release operations to build robust locking, but it can be set on any key. The default value is empty (no session).")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }

        let positional = flags.positional
        guard !positional.isEmpty else {
            console.error("Error! Missing KEY argument")
            return 1
        }
        guard positional.count <= 2 else {
            console.error("Too many arguments (expected 1 or 2, got \(positional.count))")
            return 1
        }
        let key = KVCommand.normalizeKey(positional[0])
        var value: [UInt8]
        do { value = try dataArgument(positional.count == 2 ? positional[1] : nil) } catch {
            console.error("Error! \(error)")
            return 1
        }
        if flags.flag("base64") {
            guard let decoded = Base64.decode(String(decoding: value, as: UTF8.self)) else {
                console.error("Error! Cannot base 64 decode data: illegal base64 data")
                return 1
            }
            value = decoded
        }
        let flagValue: UInt64, modifyIndex: UInt64
        switch (flags.uint64("flags"), flags.uint64("modify-index")) {
        case let (.success(f), .success(m)): flagValue = f ?? 0; modifyIndex = m ?? 0
        case let (.failure(e), _), let (_, .failure(e)):
            console.error(e.message)
            return 1
        }
        if (flags.flag("acquire") || flags.flag("release")) && (flags.string("session") ?? "").isEmpty {
            console.error("Error! Missing -session (required with -\(flags.flag("acquire") ? "acquire" : "release"))")
            return 1
        }
        do {
            var settings = HTTPFlags.settings(flags)
            settings.datacenter = flags.string("datacenter") ?? ""
            let client = try ConsulHTTPClient(settings: settings, dialer: PosixDialer())
            if flags.flag("acquire") || flags.flag("release") {
                let verb = flags.flag("acquire") ? "acquire" : "release"
                var query: [(String, String?)] = [(verb, flags.string("session"))]
                if flagValue != 0 { query.append(("flags", String(flagValue))) }
                let response = try client.sendExpectingOK("PUT", "/v1/kv/" + key, query: query, body: value)
                guard response.bodyText.contains("true") else {
                    console.error(verb == "acquire" ? "Error! Did not acquire lock" : "Error! Did not release lock")
                    return 1
                }
                console.info(verb == "acquire" ? "Success! Lock acquired on: \(key)" : "Success! Lock released on: \(key)")
                return 0
            }
            if flags.flag("cas") {
                guard try client.kvPut(key, value: value, flags: flagValue, cas: modifyIndex) else {
                    console.error("Error! Did not write to \(key): CAS failed")
                    return 1
                }
            } else {
                _ = try client.kvPut(key, value: value, flags: flagValue)
            }
            console.info("Success! Data written to: \(key)")
            return 0
        } catch {
            console.error("Error! Failed writing data: \(error)")
            return 1
        }
    }
}

/// `consul kv delete [-recurse] [-cas -modify-index N] KEY_OR_PREFIX`.
enum KVDeleteCommand {
    static let help = "Usage: consul kv delete [options] KEY_OR_PREFIX\n\n  Removes the value from Consul's key-value store at the given path."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("datacenter", "<value>", "Name of the datacenter to query.")
        flags.bool("cas", "Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.")
        flags.value("modify-index", "<uint>", "Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.")
        flags.bool("recurse", "Recursively delete all keys with the path. The default value is false.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let positional = flags.positional
        guard positional.count <= 1 else {
            console.error("Too many arguments (expected 1, got \(positional.count))")
            return 1
        }
        let key = KVCommand.normalizeKey(positional.first ?? "")
        let recurse = flags.flag("recurse"), cas = flags.flag("cas")
        let modifyIndex: UInt64
        switch flags.uint64("modify-index") {
        case .success(let m): modifyIndex = m ?? 0
        case .failure(let e): console.error(e.message); return 1
        }
        if flags.isSet("modify-index") && !cas {
            console.error("Cannot specify -modify-index without -cas!")
            return 1
        }
        if cas && recurse {
            console.error("Cannot specify both -cas and -recurse!")
            return 1
        }
        if key.isEmpty && !recurse {
            console.error("Error! Missing KEY argument")
            return 1
        }
        if cas && modifyIndex == 0 {
            console.error("Must specify -modify-index with -cas!")
            return 1
        }
        do {
            var settings = HTTPFlags.settings(flags)
            settings.datacenter = flags.string("datacenter") ?? ""
            let client = try ConsulHTTPClient(settings: settings, dialer: PosixDialer())
            if recurse {
                do { _ = try client.kvDelete(key, recurse: true) } catch {
                    console.error("Error! Did not delete prefix \(key): \(error)")
                    return 1
                }
                console.info("Success! Deleted keys with prefix: \(key)")
                return 0
            }
            let ok: Bool
            do { ok = try client.kvDelete(key, recurse: false, cas: cas ? modifyIndex : nil) } catch {
                console.error("Error! Did not delete key \(key): \(error)")
                return 1
            }
            guard ok else {
                console.error("Error! Did not delete key \(key): CAS failed")
                return 1
            }
            console.info("Success! Deleted key: \(key)")
            return 0
        } catch {
            console.error("Error! \(error)")
            return 1
        }
    }
}

/// DATA as Consul's CLI reads it: `@file`, `-` for stdin, else the literal; absent → empty.
func dataArgument(_ argument: String?) throws -> [UInt8] {
    guard let argument else { return [] }
    if argument.hasPrefix("@") {
        do { return try Files.read(String(argument.dropFirst())) } catch {
            throw DataArgumentError(message: "Failed to read file: \(error)")
        }
    }
    if argument == "-" { return Files.readStandardInput() }
    return Array(argument.utf8)
}

struct DataArgumentError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
