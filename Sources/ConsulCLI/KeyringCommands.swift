import ConsulAPI
import ConsulClient
import LiveRuntime
import Wire

/// `consul keygen`: a fresh 32-byte gossip key from the system RNG, base64.
enum KeygenCommand {
    static let help = "Usage: consul keygen\n\n  Generates a new encryption key that can be used to configure the\n  agent to encrypt traffic. The output of this command is already\n  in the proper format that the agent expects."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        console.info(Base64.encode(generateKey(random: SystemRandom())))
        return 0
    }

    static func generateKey(random: SystemRandom) -> [UInt8] {
        var key: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: random.nextUInt64()) { key += $0 } }
        return key
    }
}

/// `consul keyring`: list, install, use or remove gossip keys on every member through
/// `/v1/operator/keyring` (agent.md §2.3).
enum KeyringCommand {
    static let help = """
        Usage: consul keyring [options]

          Manages encryption keys used for gossip messages. Gossip encryption is
          optional. When enabled, this command may be used to examine active encryption
          keys in the cluster, add new keys, and remove old ones. When combined, this
          functionality provides the ability to perform key rotation cluster-wide,
          without disrupting the cluster.

          All operations performed by this command can only be run against server nodes,
          and affect both the LAN and WAN keyrings in lock-step.

          All variations of the keyring command return 0 if all nodes reply and there
          are no errors. If any node fails to reply or reports failure, the exit code
          will be 1.
        """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("install", "<key>", "Install a new encryption key. This will broadcast the new key to all members in the cluster.")
        flags.value("use", "<key>", "Change the primary encryption key, which is used to encrypt messages. The key must already be installed before this operation can succeed.")
        flags.value("remove", "<key>", "Remove the given key from the cluster. This operation may only be performed on keys which are not currently the primary key.")
        flags.bool("list", "List all keys currently in use within the cluster.")
        flags.bool("list-primary", "List all primary keys currently in use within the cluster.")
        flags.value("relay-factor", "<value>", "Setting this to a non-zero value will cause nodes to relay their response to the operation through this many randomly-chosen other nodes in the cluster. The maximum allowed value is 5.")
        flags.bool("local-only", "Setting this to true will force the keyring query to only hit local servers (no WAN traffic). This flag can only be set for list queries.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }

        let list = flags.flag("list"), listPrimary = flags.flag("list-primary")
        let changes: [(String, String)] = ["install", "use", "remove"].compactMap { name in
            flags.string(name).flatMap { $0.isEmpty ? nil : (name, $0) }
        }
        if (list ? 1 : 0) + (listPrimary ? 1 : 0) + changes.count > 1 {
            console.error("Only a single action is allowed")
            return 1
        }
        guard list || listPrimary || !changes.isEmpty else {
            console.error(help)
            return 1
        }
        var query: [(String, String?)] = []
        if let text = flags.string("relay-factor") {
            guard let value = UInt8(text), value <= 5 else {
                console.error("Error parsing relay factor: Relay factor must be in range: [0, 5]")
                return 1
            }
            if value > 0 { query.append(("relay-factor", text)) }
        }
        if flags.flag("local-only") {
            guard list || listPrimary else {
                console.error("Error validating local-only: local-only can only be set for list queries")
                return 1
            }
            query.append(("local-only", "true"))
        }
        let client: ConsulHTTPClient
        do { client = try HTTPFlags.client(flags) } catch {
            console.error("Error connecting to Consul agent: \(error)")
            return 1
        }

        if list || listPrimary {
            console.info("==> Gathering installed encryption keys...")
            do {
                let response = try client.sendExpectingOK("GET", "/v1/operator/keyring", query: query, serverFlags: false)
                guard let pools = try client.json(response).arrayValue else { throw ClientError.badResponse("expected a JSON array") }
                for pool in pools { console.info(format(pool, keysField: listPrimary ? "PrimaryKeys" : "Keys")) }
                return 0
            } catch {
                console.error("error: \(error)")
                return 1
            }
        }

        let (action, key) = changes[0]
        let (method, banner): (String, String)
        switch action {
        case "install": (method, banner) = ("POST", "Installing new gossip encryption key...")
        case "use": (method, banner) = ("PUT", "Changing primary gossip encryption key...")
        default: (method, banner) = ("DELETE", "Removing gossip encryption key...")
        }
        console.info("==> " + banner)
        var body = JSONWriter()
        body.beginObject()
        body.field("Key", key)
        body.endObject()
        do {
            _ = try client.sendExpectingOK(method, "/v1/operator/keyring", query: query, body: body.finish(), serverFlags: false)
            return 0
        } catch {
            console.error("error: \(error)")
            return 1
        }
    }

    /// One pool as Consul prints it: blank line, `<dc> (LAN):`, node messages, `  key [n/total]`.
    static func format(_ pool: JSONValue, keysField: String) -> String {
        let wan = pool["WAN"]?.boolValue ?? false
        var name = wan ? "WAN" : (pool["Datacenter"]?.stringValue ?? "") + " (LAN)"
        if let segment = pool["Segment"]?.stringValue, !segment.isEmpty { name += " [\(segment)]" }
        let total = pool["NumNodes"]?.int64Value ?? 0
        var lines = ["", name + ":"]
        for (node, message) in pool["Messages"]?.objectValue ?? [] {
            lines.append("  ===> \(node): \(message.stringValue ?? "")")
        }
        for (key, count) in pool[keysField]?.objectValue ?? [] {
            lines.append("  \(key) [\(count.int64Value ?? 0)/\(total)]")
        }
        return lines.joined(separator: "\n")
    }
}
