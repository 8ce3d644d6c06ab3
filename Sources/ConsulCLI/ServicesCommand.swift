import ConsulAPI
import ConsulClient
import LiveRuntime

/// `consul services register|deregister`: from flags or definition files, through the agent API.
enum ServicesCommand {
    static let help = "Usage: consul services <subcommand> [options]\n\n  Register and deregister services with the local agent.\n\nSubcommands:\n    deregister    Deregister services with the local agent\n    register      Register services with the local agent"

    static func run(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(help); return 1 }
        switch sub {
        case "register": return register(Array(args.dropFirst()), console)
        case "deregister": return deregister(Array(args.dropFirst()), console)
        case "-h", "-help", "--help": console.info(help); return 0
        default: console.error(help); return 1
        }
    }

    static func register(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("name", "<string>", "Name of the service to register.")
        flags.value("id", "<string>", "ID of the service to register.")
        flags.value("address", "<string>", "Address of the service to register.")
        flags.value("port", "<int>", "Port of the service to register.")
        flags.list("tag", "<value>", "Tag to add to the service. This flag can be specified multiple times.")
        flags.list("meta", "<key=value>", "Metadata to set on the service. This flag can be specified multiple times.")
        flags.value("kind", "<string>", "The services 'kind'")
        if let code = CLI.parse(&flags, args, help: "Usage: consul services register [options] [FILE...]", console) { return code }
        var definitions: [JSONValue] = []
        if flags.positional.isEmpty {
            guard let name = flags.string("name"), !name.isEmpty else {
                console.error("Service name is required (-name) when no definition files are given.")
                return 1
            }
            var members: [(String, JSONValue)] = [("Name", .string(name))]
            if let id = flags.string("id") { members.append(("ID", .string(id))) }
            if let a = flags.string("address") { members.append(("Address", .string(a))) }
            if let p = flags.string("port") {
                guard Int(p) != nil else { console.error("Invalid port: \(p)"); return 1 }
                members.append(("Port", .number(p)))
            }
            if let k = flags.string("kind") { members.append(("Kind", .string(k))) }
            let tags = flags.strings("tag")
            if !tags.isEmpty { members.append(("Tags", .array(tags.map(JSONValue.string)))) }
            var meta: [(String, JSONValue)] = []
            for m in flags.strings("meta") {
                guard let eq = m.firstIndex(of: "=") else { console.error("Invalid meta: \(m) (expected key=value)"); return 1 }
                meta.append((String(m[..<eq]), .string(String(m[m.index(after: eq)...]))))
            }
            if !meta.isEmpty { members.append(("Meta", .object(meta))) }
            definitions.append(.object(members))
        } else {
            for path in flags.positional {
                do {
                    let doc = try JSONParser.parse(try Files.read(path))
                    for key in ["service", "services"] {
                        if let v = doc.member(key) { definitions += v.arrayValue ?? [v] }
                    }
                } catch {
                    console.error("Error loading \(path): \(error)")
                    return 1
                }
            }
        }
        do {
            let client = try HTTPFlags.client(flags)
            for def in definitions {
                _ = try client.sendExpectingOK("PUT", "/v1/agent/service/register", body: def.encoded(), serverFlags: false)
                console.info("Registered service: \(def.member("Name")?.stringValue ?? "")")
            }
            return 0
        } catch {
            console.error("Error registering service: \(error)")
            return 1
        }
    }

    static func deregister(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("id", "<string>", "ID to deregister.")
        if let code = CLI.parse(&flags, args, help: "Usage: consul services deregister [options] [FILE...]", console) { return code }
        var ids: [String] = []
        if let id = flags.string("id") { ids.append(id) }
        for path in flags.positional {
            guard let doc = try? JSONParser.parse(try Files.read(path)) else { console.error("Error loading \(path)"); return 1 }
            for key in ["service", "services"] {
                for v in doc.member(key).map({ $0.arrayValue ?? [$0] }) ?? [] {
                    if let id = v.member("ID")?.stringValue ?? v.member("Name")?.stringValue { ids.append(id) }
                }
            }
        }
        guard !ids.isEmpty else { console.error("Either -id or a file with service definitions is required."); return 1 }
        do {
            let client = try HTTPFlags.client(flags)
            for id in ids {
                _ = try client.sendExpectingOK("PUT", "/v1/agent/service/deregister/" + id, serverFlags: false)
                console.info("Deregistered service: \(id)")
            }
            return 0
        } catch {
            console.error("Error deregistering service: \(error)")
            return 1
        }
    }
}
