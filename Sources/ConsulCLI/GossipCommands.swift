import ConsulAPI
import ConsulClient

/// `consul join` and `consul force-leave`: gossip pool membership through the local agent.
enum JoinCommand {
    static let help = "Usage: consul join [options] address ...\n\n  Tells a running Consul agent (with \"consul agent\") to join the cluster\n  by specifying at least one existing member."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.bool("wan", "Joins a server to another server in the WAN pool.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard !flags.positional.isEmpty else {
            console.error("At least one address to join must be specified.")
            console.error(help)
            return 1
        }
        let client: ConsulHTTPClient
        do { client = try HTTPFlags.client(flags) } catch {
            console.error("Error connecting to Consul agent: \(error)")
            return 1
        }
        var joined = 0
        for address in flags.positional {
            let query: [(String, String?)] = flags.flag("wan") ? [("wan", "1")] : []
            do {
                _ = try client.sendExpectingOK("PUT", "/v1/agent/join/" + address, query: query, serverFlags: false)
                joined += 1
            } catch {
                console.error("Error joining address '\(address)': \(error)")
            }
        }
        guard joined > 0 else {
            console.error("Failed to join any nodes.")
            return 1
        }
        console.info("Successfully joined cluster by contacting \(joined) nodes.")
        return 0
    }
}

enum ForceLeaveCommand {
    static let help = "Usage: consul force-leave [options] name\n\n  Forces a member of a Consul cluster to enter the \"left\" state."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.bool("prune", "Remove agent forcibly from list of members")
        flags.bool("wan", "Exclusively remove the node from the WAN gossip pool")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard flags.positional.count == 1 else {
            console.error("A single node name must be specified to force leave.")
            console.error(help)
            return 1
        }
        var query: [(String, String?)] = []
        if flags.flag("prune") { query.append(("prune", "1")) }
        if flags.flag("wan") { query.append(("wan", "1")) }
        do {
            _ = try HTTPFlags.client(flags).sendExpectingOK("PUT", "/v1/agent/force-leave/" + flags.positional[0], query: query, serverFlags: false)
            return 0
        } catch {
            console.error("Error force leaving: \(error)")
            return 1
        }
    }
}
