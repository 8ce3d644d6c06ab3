import ConsulAPI
import ConsulClient

/// `consul catalog datacenters|nodes|services` with the flags and output of Consul's CLI.
enum CatalogCommand {
    static let help = """
    Usage: consul catalog <subcommand> [options] [args]

      Consul's catalog tracks all discovered services, nodes, and datacenters.

    Subcommands:
        datacenters    Lists all known datacenters
        nodes          Lists all nodes in the given datacenter
        services       Lists all registered services in a datacenter
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(help); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "datacenters": return datacenters(rest, console)
        case "nodes": return nodes(rest, console)
        case "services": return services(rest, console)
        case "-h", "-help", "--help": console.info(help); return 0
        default: console.error(help); return 1
        }
    }

    static func datacenters(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        if let code = CLI.parse(&flags, args, help: "Usage: consul catalog datacenters [options]", console) { return code }
        guard flags.positional.isEmpty else { console.error("The `datacenters` command does not accept arguments."); return 1 }
        do {
            let client = try HTTPFlags.client(flags)
            let list = try client.json(try client.sendExpectingOK("GET", "/v1/catalog/datacenters", serverFlags: false)).arrayValue ?? []
            if list.isEmpty { console.error("No datacenters found"); return 1 }
            for dc in list { console.info(dc.stringValue ?? "") }
            return 0
        } catch {
            console.error("Error listing datacenters: \(error)")
            return 1
        }
    }

    static func nodes(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.bool("detailed", "Output detailed information about the nodes including their addresses and metadata.")
        flags.value("filter", "<string>", "Filter to use with the request")
        flags.value("near", "<string>", "Node name to sort the node list in ascending order based on estimated round-trip time from that node.")
        flags.list("node-meta", "<key=value>", "Metadata to filter nodes with the given `key=value` pairs.")
        flags.value("service", "<id or name>", "Service id or name to filter nodes.")
        if let code = CLI.parse(&flags, args, help: "Usage: consul catalog nodes [options]", console) { return code }
        guard flags.positional.isEmpty else { console.error("The `nodes` command does not accept arguments."); return 1 }
        var query: [(String, String?)] = []
        for m in flags.strings("node-meta") { query.append(("node-meta", m.replacingFirst("=", with: ":"))) }
        if let f = flags.string("filter") { query.append(("filter", f)) }
        if let n = flags.string("near") { query.append(("near", n)) }
        do {
            let client = try HTTPFlags.client(flags)
            var nodes: [JSONValue]
            if let service = flags.string("service") {
                let rows = try client.json(try client.sendExpectingOK("GET", "/v1/catalog/service/" + service, query: query)).arrayValue ?? []
                var seen = Set<String>()
                nodes = []
                for r in rows {
                    let name = r["Node"]?.stringValue ?? ""
                    if seen.insert(name).inserted {
                        nodes.append(.object([("ID", r["ID"] ?? .string("")), ("Node", .string(name)), ("Address", r["Address"] ?? .string("")),
                                              ("Datacenter", r["Datacenter"] ?? .string("")), ("TaggedAddresses", r["TaggedAddresses"] ?? .null),
                                              ("Meta", r["NodeMeta"] ?? .null)]))
                    }
                }
            } else {
                nodes = try client.json(try client.sendExpectingOK("GET", "/v1/catalog/nodes", query: query)).arrayValue ?? []
            }
            if nodes.isEmpty {
                console.error("No nodes match the given query - try expanding your search.")
                return 0
            }
            let detailed = flags.flag("detailed")
            var lines = [detailed ? "Node|ID|Address|DC|TaggedAddresses|Meta" : "Node|ID|Address|DC"]
            for n in nodes {
                let id = n["ID"]?.stringValue ?? ""
                let shownID = detailed ? id : String(id.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                var line = "\(n["Node"]?.stringValue ?? "")|\(shownID)|\(n["Address"]?.stringValue ?? "")|\(n["Datacenter"]?.stringValue ?? "")"
                if detailed { line += "|\(mapText(n["TaggedAddresses"]))|\(mapText(n["Meta"]))" }
                lines.append(line)
            }
            console.info(columnize(lines))
            return 0
        } catch {
            console.error("Error listing nodes: \(error)")
            return 1
        }
    }

    static func services(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("node", "<node id or name>", "Node `id or name` for which to list services.")
        flags.list("node-meta", "<key=value>", "Metadata to filter nodes with the given `key=value` pairs.")
        flags.bool("tags", "Display each service's tags as a comma-separated list beside each service entry.")
        if let code = CLI.parse(&flags, args, help: "Usage: consul catalog services [options]", console) { return code }
        guard flags.positional.isEmpty else { console.error("The `services` command does not accept arguments."); return 1 }
        do {
            let client = try HTTPFlags.client(flags)
            var services: [(String, [String])] = []
            if let node = flags.string("node") {
                let body = try client.json(try client.sendExpectingOK("GET", "/v1/catalog/node/" + node))
                var byName: [String: Set<String>] = [:]
                for (_, s) in body["Services"]?.objectValue ?? [] {
                    byName[s["Service"]?.stringValue ?? "", default: []].formUnion((s["Tags"]?.arrayValue ?? []).compactMap(\.stringValue))
                }
                services = byName.map { ($0.key, $0.value.sorted()) }
            } else {
                var query: [(String, String?)] = []
                for m in flags.strings("node-meta") { query.append(("node-meta", m.replacingFirst("=", with: ":"))) }
                let body = try client.json(try client.sendExpectingOK("GET", "/v1/catalog/services", query: query))
                services = (body.objectValue ?? []).map { ($0.0, ($0.1.arrayValue ?? []).compactMap(\.stringValue).sorted()) }
            }
            if services.isEmpty {
                console.error("No services match the given query - try expanding your search.")
                return 0
            }
            services.sort { $0.0 < $1.0 }
            if flags.flag("tags") {
                console.info(tabulate(services.map { [$0.0, $0.1.joined(separator: ",")] }, padding: 6).map { $0.trimmingTrailingSpaces() }.joined(separator: "\n"))
            } else {
                for (name, _) in services { console.info(name) }
            }
            return 0
        } catch {
            console.error("Error listing services: \(error)")
            return 1
        }
    }

    /// `k=v, k=v` sorted, as Consul renders maps in tables.
    static func mapText(_ value: JSONValue?) -> String {
        (value?.objectValue ?? []).map { "\($0.0)=\($0.1.stringValue ?? "")" }.sorted().joined(separator: ", ")
    }
}

extension String {
    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let i = firstIndex(of: target) else { return self }
        return String(self[..<i]) + replacement + String(self[index(after: i)...])
    }
}
