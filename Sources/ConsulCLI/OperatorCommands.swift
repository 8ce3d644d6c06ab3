import ConsulAPI
import ConsulClient

/// `consul operator raft list-peers|remove-peer|transfer-leader` and
/// `consul operator autopilot get-config|set-config|state` (agent.md §2.3), over
/// `/v1/operator/*`. Parent-only commands print their help and exit 1, as in Consul.
enum OperatorCommand {
    static let help = """
    Usage: consul operator <subcommand> [options]

      Provides cluster-level tools for Consul operators, such as interacting with
      the Raft subsystem.

    Subcommands:
        autopilot    Provides tools for modifying Autopilot configuration
        raft         Provides cluster-level tools for Consul operators
    """

    static let raftHelp = """
    Usage: consul operator raft <subcommand> [options]

      The Raft operator command is used to interact with Consul's Raft subsystem.

    Subcommands:
        list-peers         Display the current Raft peer configuration
        remove-peer        Remove a Consul server from the Raft configuration
        transfer-leader    Transfer raft leadership to another node
    """

    static let autopilotHelp = """
    Usage: consul operator autopilot <subcommand> [options]

      The Autopilot operator command is used to interact with Consul's Autopilot
      subsystem.

    Subcommands:
        get-config    Display the current Autopilot configuration
        set-config    Modify the current Autopilot configuration
        state         Display the current Autopilot State
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(help); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "raft": return raft(rest, console)
        case "autopilot": return autopilot(rest, console)
        case "-h", "-help", "--help": console.info(help); return 0
        default: console.error(help); return 1
        }
    }

    static func raft(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(raftHelp); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "list-peers": return listPeers(rest, console)
        case "remove-peer": return removePeer(rest, console)
        case "transfer-leader": return transferLeader(rest, console)
        case "-h", "-help", "--help": console.info(raftHelp); return 0
        default: console.error(raftHelp); return 1
        }
    }

    static func autopilot(_ args: [String], _ console: Console) -> Int32 {
        guard let sub = args.first else { console.error(autopilotHelp); return 1 }
        let rest = Array(args.dropFirst())
        switch sub {
        case "get-config": return getConfig(rest, console)
        case "set-config": return setConfig(rest, console)
        case "state": return state(rest, console)
        case "-h", "-help", "--help": console.info(autopilotHelp); return 0
        default: console.error(autopilotHelp); return 1
        }
    }

    // MARK: raft

    static func listPeers(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        let usage = "Usage: consul operator raft list-peers [options]\n\n  Displays the current Raft peer configuration."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        let reply: JSONValue
        do {
            let client = try HTTPFlags.client(flags)
            reply = try client.json(try client.sendExpectingOK("GET", "/v1/operator/raft/configuration"))
        } catch {
            console.error("Error getting peers: Failed to retrieve raft configuration: \(error)")
            return 1
        }
        console.info(formatPeers(reply))
        return 0
    }

    /// Consul's table: the leader's last index is the reference for everyone's lag.
    static func formatPeers(_ reply: JSONValue) -> String {
        let servers = reply["Servers"]?.arrayValue ?? []
        let leaderIndex = servers.first { $0["Leader"]?.boolValue == true }?["LastIndex"]?.uint64Value ?? 0
        var lines = ["Node|ID|Address|State|Voter|RaftProtocol|Commit Index|Trails Leader By"]
        for s in servers {
            let leader = s["Leader"]?.boolValue == true
            var proto = s["ProtocolVersion"]?.stringValue ?? ""
            if proto.isEmpty { proto = "<=1" }
            let index = s["LastIndex"]?.uint64Value ?? 0
            // Go's uint64 subtraction wraps; a follower ahead of the leader's figure shows 0 here.
            let trails = leaderIndex >= index ? leaderIndex - index : 0
            let trailsText = leader ? "-" : trails == 1 ? "1 commit" : "\(trails) commits"
            lines.append([s["Node"]?.stringValue ?? "", s["ID"]?.stringValue ?? "", s["Address"]?.stringValue ?? "",
                          leader ? "leader" : "follower", (s["Voter"]?.boolValue ?? false) ? "true" : "false", proto,
                          String(index), trailsText].joined(separator: "|"))
        }
        return columnize(lines)
    }

    static func removePeer(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("address", "<value>", "The address to remove from the Raft configuration.")
        flags.value("id", "<value>", "The ID to remove from the Raft configuration.")
        let usage = "Usage: consul operator raft remove-peer [options]\n\n  Remove the Consul server with given -address from the Raft configuration."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        let address = flags.string("address") ?? "", id = flags.string("id") ?? ""
        let query: [(String, String?)]
        if address.isEmpty && id.isEmpty {
            console.error("Error removing peer: an address or id is required for the peer to remove")
            return 1
        } else if !address.isEmpty && !id.isEmpty {
            console.error("Error removing peer: cannot give both an address and id")
            return 1
        } else {
            query = address.isEmpty ? [("id", id)] : [("address", address)]
        }
        do {
            _ = try HTTPFlags.client(flags).sendExpectingOK("DELETE", "/v1/operator/raft/peer", query: query)
        } catch {
            console.error("Error removing peer: \(error)")
            return 1
        }
        console.info(address.isEmpty ? "Removed peer with id \"\(id)\"" : "Removed peer with address \"\(address)\"")
        return 0
    }

    static func transferLeader(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("id", "<value>", "The ID of the node to transfer leadership to.")
        let usage = "Usage: consul operator raft transfer-leader [options]\n\n  Transfer raft leadership to another node."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        let id = flags.string("id") ?? ""
        do {
            let client = try HTTPFlags.client(flags)
            let response = try client.sendExpectingOK("POST", "/v1/operator/raft/transfer-leader",
                                                      query: id.isEmpty ? [] : [("id", id)])
            guard try client.json(response)["Success"]?.boolValue == true else {
                console.error("Error transfering leadership: Failed to transfer leadership")
                return 1
            }
        } catch {
            console.error("Error transfering leadership: Failed to transfer leadership \(error)")
            return 1
        }
        console.info("Success")
        return 0
    }

    // MARK: autopilot

    static func getConfig(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        let usage = "Usage: consul operator autopilot get-config [options]\n\n  Displays the current Autopilot configuration."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        do {
            let client = try HTTPFlags.client(flags)
            let c = try client.json(try client.sendExpectingOK("GET", "/v1/operator/autopilot/configuration"))
            console.info(formatConfig(c))
            return 0
        } catch {
            console.error("Error querying Autopilot configuration: \(error)")
            return 1
        }
    }

    static func formatConfig(_ c: JSONValue) -> String {
        func text(_ k: String) -> String {
            guard let v = c[k] else { return "" }
            switch v {
            case .string(let s): return s
            case .number(let n): return n
            case .bool(let b): return b ? "true" : "false"
            default: return ""
            }
        }
        return ["CleanupDeadServers = \(text("CleanupDeadServers"))",
                "LastContactThreshold = \(text("LastContactThreshold"))",
                "MaxTrailingLogs = \(text("MaxTrailingLogs"))",
                "MinQuorum = \(text("MinQuorum"))",
                "ServerStabilizationTime = \(text("ServerStabilizationTime"))",
                "RedundancyZoneTag = \"\(text("RedundancyZoneTag"))\"",
                "DisableUpgradeMigration = \(text("DisableUpgradeMigration"))",
                "UpgradeVersionTag = \"\(text("UpgradeVersionTag"))\""].joined(separator: "\n")
    }

    static func setConfig(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.bool("cleanup-dead-servers", "Controls whether Consul will automatically remove dead servers when new ones are successfully added. Must be one of `true|false`.")
        flags.value("max-trailing-logs", "<value>", "Controls the maximum number of log entries that a server can trail the leader by before being considered unhealthy.")
        flags.value("min-quorum", "<value>", "Sets the minimum number of servers required in a cluster before autopilot can prune dead servers.")
        flags.value("last-contact-threshold", "<value>", "Controls the maximum amount of time a server can go without contact from the leader before being considered unhealthy. Must be a duration value such as `200ms`.")
        flags.value("server-stabilization-time", "<value>", "Controls the minimum amount of time a server must be stable in the 'healthy' state before being added to the cluster. Must be a duration value such as `10s`.")
        flags.value("redundancy-zone-tag", "<value>", "(Enterprise-only) Controls the node_meta tag name used for separating servers into different redundancy zones.")
        flags.bool("disable-upgrade-migration", "(Enterprise-only) Controls whether Consul will avoid promoting new servers until it can perform a migration.")
        flags.value("upgrade-version-tag", "<value>", "(Enterprise-only) The node_meta tag to use for version info when performing upgrade migrations.")
        let usage = "Usage: consul operator autopilot set-config [options]\n\n  Modifies the current Autopilot configuration."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        do {
            let client = try HTTPFlags.client(flags)
            let current = try client.json(try client.sendExpectingOK("GET", "/v1/operator/autopilot/configuration"))
            guard case .object(var fields) = current else { throw ClientError.badResponse("autopilot configuration is not an object") }
            func set(_ key: String, _ value: JSONValue) {
                if let i = fields.firstIndex(where: { $0.0 == key }) { fields[i].1 = value } else { fields.append((key, value)) }
            }
            if flags.isSet("cleanup-dead-servers") { set("CleanupDeadServers", .bool(flags.flag("cleanup-dead-servers"))) }
            if flags.isSet("disable-upgrade-migration") { set("DisableUpgradeMigration", .bool(flags.flag("disable-upgrade-migration"))) }
            for (flag, key) in [("max-trailing-logs", "MaxTrailingLogs"), ("min-quorum", "MinQuorum")] {
                if let text = flags.string(flag) {
                    guard let n = UInt64(text) else {
                        console.error("invalid value \"\(text)\" for flag -\(flag): parse error")
                        return 1
                    }
                    set(key, .number(String(n)))
                }
            }
            for (flag, key) in [("last-contact-threshold", "LastContactThreshold"), ("server-stabilization-time", "ServerStabilizationTime")] {
                if let text = flags.string(flag) {
                    guard GoDuration.parse(text) != nil else {
                        console.error("invalid value \"\(text)\" for flag -\(flag): parse error")
                        return 1
                    }
                    set(key, .string(text))
                }
            }
            for (flag, key) in [("redundancy-zone-tag", "RedundancyZoneTag"), ("upgrade-version-tag", "UpgradeVersionTag")] {
                if let text = flags.string(flag) { set(key, .string(text)) }
            }
            let modifyIndex = current["ModifyIndex"]?.uint64Value ?? 0
            let response = try client.sendExpectingOK("PUT", "/v1/operator/autopilot/configuration",
                                                      query: [("cas", String(modifyIndex))], body: JSONValue.object(fields).encoded())
            guard try client.json(response).boolValue == true else {
                console.error("Configuration could not be atomically updated, please try again")
                return 1
            }
        } catch {
            console.error("Error setting Autopilot configuration: \(error)")
            return 1
        }
        console.info("Configuration updated!")
        return 0
    }

    static func state(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("format", "<value>", "Output format {pretty|json}")
        let usage = "Usage: consul operator autopilot state [options]\n\n  Displays the current Autopilot state."
        if let code = CLI.parse(&flags, args, help: usage, console) { return code }
        let format = flags.string("format") ?? "pretty"
        guard format == "pretty" || format == "json" else {
            console.error("Unknown format: \(format)")
            return 1
        }
        let state: JSONValue
        do {
            let client = try HTTPFlags.client(flags)
            state = try client.json(try client.sendExpectingOK("GET", "/v1/operator/autopilot/state"))
        } catch {
            console.error("Error querying Autopilot state: \(error)")
            return 1
        }
        if format == "json" {
            var writer = JSONWriter(indent: "    ")
            state.write(to: &writer)
            console.info(String(decoding: writer.finish(), as: UTF8.self))
        } else {
            console.raw(formatState(state))
        }
        return 0
    }

    static func formatState(_ s: JSONValue) -> String {
        func scalar(_ v: JSONValue?) -> String {
            switch v {
            case .string(let t)?: return t
            case .number(let n)?: return n
            case .bool(let b)?: return b ? "true" : "false"
            default: return ""
            }
        }
        var out = "Healthy:                      \(scalar(s["Healthy"]))\n"
        out += "Failure Tolerance:            \(scalar(s["FailureTolerance"]))\n"
        out += "Optimistic Failure Tolerance: \(scalar(s["OptimisticFailureTolerance"]))\n"
        out += "Leader:                       \(scalar(s["Leader"]))\n"
        out += "Voters:\n"
        for v in s["Voters"]?.arrayValue ?? [] { out += "   \(scalar(v))\n" }
        out += "Servers:\n"
        for (id, srv) in (s["Servers"]?.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
            out += "   \(id)\n"
            out += "      Name:            \(scalar(srv["Name"]))\n"
            out += "      Address:         \(scalar(srv["Address"]))\n"
            out += "      Version:         \(scalar(srv["Version"]))\n"
            out += "      Status:          \(scalar(srv["Status"]))\n"
            out += "      Node Type:       \(scalar(srv["NodeType"]))\n"
            out += "      Node Status:     \(scalar(srv["NodeStatus"]))\n"
            out += "      Healthy:         \(scalar(srv["Healthy"]))\n"
            out += "      Last Contact:    \(scalar(srv["LastContact"]))\n"
            out += "      Last Term:       \(scalar(srv["LastTerm"]))\n"
            out += "      Last Index:      \(scalar(srv["LastIndex"]))\n"
        }
        return out
    }
}
