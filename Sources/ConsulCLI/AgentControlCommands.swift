import ConsulAPI
import ConsulClient

/// `consul reload`, `consul leave` and `consul maint`: agent-local operations over HTTP.
enum ReloadCommand {
    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        if let code = CLI.parse(&flags, args, help: "Usage: consul reload\n\n  Causes the agent to reload configurations.", console) { return code }
        do {
            _ = try HTTPFlags.client(flags).sendExpectingOK("PUT", "/v1/agent/reload", serverFlags: false)
            console.info("Configuration reload triggered")
            return 0
        } catch {
            console.error("Error reloading: \(error)")
            return 1
        }
    }
}

enum LeaveCommand {
    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        if let code = CLI.parse(&flags, args, help: "Usage: consul leave [options]\n\n  Causes the agent to gracefully leave the Consul cluster and shutdown.", console) { return code }
        guard flags.positional.isEmpty else {
            console.error("Error! Too many arguments (expected 0, got \(flags.positional.count))")
            return 1
        }
        do {
            _ = try HTTPFlags.client(flags).sendExpectingOK("PUT", "/v1/agent/leave", serverFlags: false)
            console.info("Graceful leave complete")
            return 0
        } catch {
            console.error("Error leaving: \(error)")
            return 1
        }
    }
}

enum MaintCommand {
    static let help = "Usage: consul maint [options]\n\n  Places a node or service into maintenance mode."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.bool("enable", "Enable maintenance mode.")
        flags.bool("disable", "Disable maintenance mode.")
        flags.value("reason", "<string>", "Text describing the maintenance reason.")
        flags.value("service", "<string>", "Control maintenance mode for a specific service ID.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let enable = flags.flag("enable"), disable = flags.flag("disable")
        if enable && disable { console.error("Only one of -enable or -disable may be provided"); return 1 }
        if !enable && flags.isSet("reason") { console.error("Reason may only be provided with -enable"); return 1 }
        if !enable && !disable && flags.isSet("service") { console.error("Service requires either -enable or -disable"); return 1 }
        do {
            let client = try HTTPFlags.client(flags)
            if !enable && !disable {
                let checks = try client.json(try client.sendExpectingOK("GET", "/v1/agent/checks", serverFlags: false)).objectValue ?? []
                for (id, c) in checks.sorted(by: { $0.0 < $1.0 }) {
                    if id == "_node_maintenance" {
                        console.info("Node:")
                        console.info("  Name:   \(c["Node"]?.stringValue ?? "")")
                        console.info("  Reason: \(c["Notes"]?.stringValue ?? "")")
                        console.info("")
                    } else if id.hasPrefix("_service_maintenance:") {
                        console.info("Service:")
                        console.info("  ID:     \(c["ServiceID"]?.stringValue ?? "")")
                        console.info("  Reason: \(c["Notes"]?.stringValue ?? "")")
                        console.info("")
                    }
                }
                return 0
            }
            var query: [(String, String?)] = [("enable", enable ? "true" : "false")]
            if let reason = flags.string("reason") { query.append(("reason", reason)) }
            let state = enable ? "enabled" : "disabled"
            if let service = flags.string("service") {
                _ = try client.sendExpectingOK("PUT", "/v1/agent/service/maintenance/" + service, query: query, serverFlags: false)
                console.info("Service maintenance is now \(state) for \"\(service)\"")
            } else {
                _ = try client.sendExpectingOK("PUT", "/v1/agent/maintenance", query: query, serverFlags: false)
                console.info("Node maintenance is now \(state)")
            }
            return 0
        } catch {
            console.error("Error: \(error)")
            return 1
        }
    }
}
