import ConsulAPI
import ConsulClient

/// `consul members [-detailed] [-wan] [-status <regex>]`: the gossip pool as a table.
enum MembersCommand {
    static let help = "Usage: consul members [options]\n\n  Outputs the members of a running Consul agent."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.bool("detailed", "Provides detailed information about nodes.")
        flags.bool("wan", "If the agent is in server mode, this can be used to return the other peers in the WAN pool.")
        flags.value("status", "<string>", "If provided, output is filtered to only nodes matching the regular expression for status.")
        flags.value("segment", "<string>", "(Enterprise-only) If provided, output is filtered to only nodes in the given segment.")
        flags.value("partition", "<default>", "(Enterprise-only) Specifies the admin partition to query.")
        flags.value("filter", "<string>", "Filter to use with the request.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard flags.positional.isEmpty else {
            console.error("This command takes no arguments")
            return 1
        }
        let statusPattern = flags.string("status") ?? ".*"
        let statusRegex: Regex<AnyRegexOutput>
        do { statusRegex = try Regex(statusPattern) } catch {
            console.error("Failed to compile status regexp: \(error)")
            return 1
        }
        let members: [JSONValue]
        do {
            let client = try HTTPFlags.client(flags)
            let query: [(String, String?)] = flags.flag("wan") ? [("wan", "1")] : []
            let response = try client.sendExpectingOK("GET", "/v1/agent/members", query: query, serverFlags: false)
            members = try client.json(response).arrayValue ?? []
        } catch {
            console.error("Error retrieving members: \(error)")
            return 1
        }
        var rows = members.map(Member.init).filter { (try? statusRegex.firstMatch(in: $0.statusText)) != nil }
        guard !rows.isEmpty else { return 2 }
        // Servers first, then by name.
        rows.sort { ($0.type == "server" ? 0 : 1, $0.name) < ($1.type == "server" ? 0 : 1, $1.name) }
        if flags.flag("detailed") {
            let lines = ["Node|Address|Status|Tags"] + rows.map { m in
                let tags = m.tags.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                return "\(m.name)|\(m.address)|\(m.statusText)|\(tags)"
            }
            console.info(columnize(lines))
        } else {
            let lines = ["Node|Address|Status|Type|Build|Protocol|DC|Partition|Segment"] + rows.map { m in
                let segment = m.type == "server" ? "<all>" : "<default>"
                return "\(m.name)|\(m.address)|\(m.statusText)|\(m.type)|\(m.build)|\(m.tag("vsn"))|\(m.tag("dc"))|default|\(segment)"
            }
            console.info(columnize(lines))
        }
        return 0
    }

    struct Member {
        let name: String
        let address: String
        let statusText: String
        let tags: [(String, String)]

        init(_ json: JSONValue) {
            name = json["Name"]?.stringValue ?? ""
            let addr = json["Addr"]?.stringValue ?? ""
            let port = json["Port"]?.int64Value ?? 0
            address = addr.contains(":") ? "[\(addr)]:\(port)" : "\(addr):\(port)"
            let statusNames = ["none", "alive", "leaving", "left", "failed"]
            let status = Int(json["Status"]?.int64Value ?? 0)
            statusText = status >= 0 && status < statusNames.count ? statusNames[status] : "unknown"
            tags = (json["Tags"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        }

        func tag(_ name: String) -> String { tags.first { $0.0 == name }?.1 ?? "" }

        var type: String {
            switch tag("role") {
            case "consul": return "server"
            case "node": return "client"
            default: return "unknown"
            }
        }

        var build: String {
            let b = tag("build")
            return b.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? b
        }
    }
}
