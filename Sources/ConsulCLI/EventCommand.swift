import ConsulAPI
import ConsulClient

/// `consul event [options] [payload]`: fires a user event through the local agent.
enum EventCommand {
    static let help = "Usage: consul event [options] [payload]\n\n  Dispatches a custom user event across a datacenter. An event must provide\n  a name, but a payload is optional. Events support filtering using\n  regular expressions on node name, service, and tag definitions."

    /// What is wrong with a user event's node/service/tag filters (regular expressions; a tag
    /// filter needs a service filter), as Consul words it; nil when they are usable.
    static func filterProblem(node: String, service: String, tag: String) -> String? {
        for (what, pattern) in [("node", node), ("service", service), ("tag", tag)] where !pattern.isEmpty {
            do { _ = try Regex(pattern) } catch { return "Failed to compile \(what) filter regexp: \(error)" }
        }
        if !tag.isEmpty && service.isEmpty { return "Cannot provide tag filter without service filter." }
        return nil
    }

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("name", "<string>", "Name of the event.")
        flags.value("node", "<string>", "Regular expression to filter on node names.")
        flags.value("service", "<string>", "Regular expression to filter on service instances.")
        flags.value("tag", "<string>", "Regular expression to filter on service tags. Must be used with -service.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let name = flags.string("name") ?? ""
        let node = flags.string("node") ?? "", service = flags.string("service") ?? "", tag = flags.string("tag") ?? ""
        guard !name.isEmpty else {
            console.error("Event name must be specified")
            console.error("")
            console.error(help)
            return 1
        }
        if let problem = EventCommand.filterProblem(node: node, service: service, tag: tag) {
            console.error(problem)
            return 1
        }
        guard flags.positional.count <= 1 else {
            console.error("Too many command line arguments.")
            console.error("")
            console.error(help)
            return 1
        }
        let payload = flags.positional.first.map { Array($0.utf8) }
        let client: ConsulHTTPClient
        do {
            client = try HTTPFlags.client(flags)
            _ = try client.sendExpectingOK("GET", "/v1/agent/self", serverFlags: false)
        } catch let error as ClientError {
            if case .badAddress = error { console.error("Error connecting to Consul agent: \(error)") }
            else { console.error("Error querying Consul agent: \(error)") }
            return 1
        } catch {
            console.error("Error querying Consul agent: \(error)")
            return 1
        }
        var query: [(String, String?)] = []
        if !node.isEmpty { query.append(("node", node)) }
        if !service.isEmpty { query.append(("service", service)) }
        if !tag.isEmpty { query.append(("tag", tag)) }
        do {
            let response = try client.sendExpectingOK("PUT", "/v1/event/fire/" + name, query: query, body: payload ?? [],
                                                      serverFlags: false)
            let id = try client.json(response)["ID"]?.stringValue ?? ""
            console.info("Event ID: \(id)")
            return 0
        } catch {
            console.error("Error firing event: \(error)")
            return 1
        }
    }
}
