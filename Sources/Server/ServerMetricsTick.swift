import Metrics

extension ConsulServer {
    /// Called by the agent every second (as Consul's own metrics loop): Raft's index gauges,
    /// leadership, the leader's contact with its followers and autopilot's view; every tenth
    /// call the usage gauges (`state.*`, `members.*`, `session_ttl.active`), as Consul's usage
    /// reporter does every 10 s.
    public func recordMetrics(second: Int) {
        guard let m = metrics else { return }
        let raft = raftNode.raft
        m.raft.lastIndex.set(Double(raft.lastIndex))
        m.raft.appliedIndex.set(Double(raftNode.appliedIndex))
        let leading = raft.role == .leader
        m.isLeader.set(leading ? 1 : 0)
        if leading {
            let now = host.clock.now.nanoseconds
            let followers = raft.configuration.voters.filter { $0 != raft.id }
            let oldest = followers.compactMap { raftNode.peerContact[$0] }.map { now &- $0.nanoseconds }.max()
            if let oldest { m.raft.leaderLastContact.observe(nanoseconds: oldest) }
            let health = autopilotHealth()
            m.autopilotHealthy.set(health.healthy ? 1 : 0)
            m.autopilotFailureTolerance.set(Double(health.failureTolerance))
        }
        guard second % 10 == 0 else { return }
        let usage = backend.store.usage
        m.sessionTTLActive.set(leading ? Double(usage.sessionsWithTTL) : 0)
        m.stateNodes.set(Double(usage.nodes))
        m.stateServices.set(Double(usage.services))
        m.stateServiceInstances.set(Double(usage.serviceInstances))
        m.stateKVEntries.set(Double(usage.kvEntries))
        let alive = host.lanMembers().filter { $0.status == .alive && $0.tags["dc"] == config.datacenter }
        m.membersClients.set(Double(alive.filter { $0.tags["role"] == "node" }.count))
        m.membersServers.set(Double(alive.filter { $0.tags["role"] == "consul" }.count))
    }
}
