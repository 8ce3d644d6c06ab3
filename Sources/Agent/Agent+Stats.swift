import ConsulAPI
import Gossip
import HTTPAPI
import Raft
import Server

/// `Stats` of `/v1/agent/self`, which `consul info` prints: the sections and key names of
/// Consul's (agent, consul, raft on servers, runtime, serf_lan); `build` stays the endpoint's.
/// Values Consul reads from Go internals we do not have (goroutines, queue depths) are our
/// nearest equivalent or 0.
extension Agent {
    public var stats: [(section: String, values: [(String, String)])] {
        var sections: [(section: String, values: [(String, String)])] = [
            ("agent", agentStats), ("consul", consulStats), ("runtime", runtimeStats),
        ]
        if let raft = raftStats { sections.append(("raft", raft)) }
        if let pool = lanPool { sections.append(("serf_lan", Agent.serfStats(pool.serf))) }
        if let pool = wanPool { sections.append(("serf_wan", Agent.serfStats(pool.serf))) }
        return sections
    }

    var agentStats: [(String, String)] {
        let checks = local.checks.values
        return [("check_monitors", String(checks.filter { $0.type == "script" }.count)),
                ("check_ttls", String(checks.filter { $0.type == "ttl" }.count)),
                ("checks", String(checks.count)),
                ("services", String(local.services.count))]
    }

    var consulStats: [(String, String)] {
        guard let raft = server?.raftNode.raft else {
            let servers = knownServers().filter { $0.status == .alive }.count
            return [("acl", "disabled"), ("known_servers", String(servers)), ("server", "false")]
        }
        return [("acl", "disabled"), ("bootstrap", String(config.bootstrap)), ("known_datacenters", String(knownDatacenters.count)),
                ("leader", String(raft.role == .leader)), ("leader_addr", leaderAddress), ("server", "true")]
    }

    /// hashicorp/raft's `Stats()` keys.
    var raftStats: [(String, String)]? {
        guard let server else { return nil }
        let raftNode = server.raftNode
        let raft = raftNode.raft
        let configuration = raft.configuration
        let state: String
        switch raft.role {
        case .leader: state = "Leader"
        case .follower: state = "Follower"
        case .candidate, .preCandidate: state = "Candidate"
        }
        let servers = configuration.members.sorted().map { id in
            "{Suffrage:\(configuration.voters.contains(id) ? "Voter" : "Nonvoter") ID:\(id) Address:\(server.raftAddress(of: id))}"
        }
        // Peers are the other voters, and only while we vote ourselves.
        let peers = configuration.voters.contains(nodeID) ? configuration.voters.count - 1 : 0
        let lastContact = raftNode.lastContactMilliseconds.map { raft.role == .leader ? "0" : GoDuration.format(Int64($0) * 1_000_000) } ?? "never"
        return [("applied_index", String(raftNode.appliedIndex)),
                ("commit_index", String(raft.commitIndex)),
                ("fsm_pending", "0"),
                ("last_contact", lastContact),
                ("last_log_index", String(raft.lastIndex)),
                ("last_log_term", String(raft.lastTerm)),
                ("last_snapshot_index", String(raft.latestSnapshot?.index ?? 0)),
                ("last_snapshot_term", String(raft.latestSnapshot?.term ?? 0)),
                ("latest_configuration", "[" + servers.joined(separator: " ") + "]"),
                ("latest_configuration_index", String(server.latestConfigurationIndex)),
                ("num_peers", String(peers)),
                ("protocol_version", "3"),
                ("protocol_version_max", "3"),
                ("protocol_version_min", "0"),
                ("snapshot_version_max", "1"),
                ("snapshot_version_min", "0"),
                ("state", state),
                ("term", String(raft.term))]
    }

    /// Whether gossip is encrypted: a keyring from `encrypt` or from `serf/local.keyring`.
    public var gossipEncrypted: Bool { lanPool?.serf.keyring != nil || wanPool?.serf.keyring != nil }

    /// serf's `Stats()` keys for one pool (serf_lan, serf_wan).
    static func serfStats(_ serf: Serf) -> [(String, String)] {
        let members = serf.members
        return [("coordinate_resets", String(serf.vivaldi.resets)),
                ("encrypted", String(serf.keyring != nil)),
                ("event_queue", "0"),
                ("event_time", String(serf.userEventClock)),
                ("failed", String(members.filter { $0.status == .failed }.count)),
                ("health_score", String(serf.memberlist.healthScore)),
                ("intent_queue", String(serf.pendingIntents)),
                ("left", String(members.filter { $0.status == .left }.count)),
                ("member_time", String(serf.memberClock)),
                ("members", String(members.count)),
                ("query_queue", "0"),
                ("query_time", String(serf.queryLamportClock))]
    }

    /// Go's runtime keys; `arch`/`os` in Go's spelling, `version` names the Swift runtime.
    var runtimeStats: [(String, String)] {
        let host = environment.hostFacts
        let cpus = String(host.cpuCount)
        return [("arch", host.architecture), ("cpu_count", cpus), ("goroutines", String(host.threadCount)), ("max_procs", cpus),
                ("os", "linux"), ("version", "swift6")]
    }
}
