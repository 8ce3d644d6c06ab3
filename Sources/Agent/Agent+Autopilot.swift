import Gossip
import Platform
import Raft

/// Autopilot's dead-server cleanup (agent.md §7.4, `cleanup_dead_servers`, on by default): the
/// leader removes from the Raft configuration a server that gossip has reported failed for the
/// stabilization time (10 s), one change at a time, and only while the failed voters are a
/// minority that can go without dropping below `min_quorum`.
extension Agent {
    func pruneDeadServers() {
        let settings = autopilotConfiguration
        guard settings.cleanupDeadServers, let raftNode, raftNode.raft.role == .leader else {
            failedServersSince = [:]
            return
        }
        let raft = raftNode.raft
        let configuration = raft.configuration
        let now = environment.clock.now
        let status = Dictionary(knownServers().map { ($0.id, $0.status) }, uniquingKeysWith: { a, _ in a })
        var failed: [String] = []
        for id in configuration.members.sorted() where id != nodeID {
            guard status[id] == .failed else {
                failedServersSince[id] = nil
                continue
            }
            let since = failedServersSince[id] ?? now
            failedServersSince[id] = since
            if now.nanoseconds - since.nanoseconds >= UInt64(settings.serverStabilizationTimeNanos) {
                failed.append(id)
            }
        }
        guard let victim = failed.first else { return }
        let voters = configuration.voters.count
        let failedVoters = failed.filter { configuration.voters.contains($0) }.count
        let minQuorum = Int(settings.minQuorum)
        guard failedVoters <= (voters - 1) / 2, voters - (configuration.voters.contains(victim) ? 1 : 0) >= minQuorum else {
            logger.warn("autopilot: not removing failed servers: too many to remove safely",
                        [("failed", failed.joined(separator: ",")), ("voters", String(voters))])
            return
        }
        logger.info("autopilot: removing dead server", [("id", victim)])
        if case .success = raft.proposeConfigurationChange(.remove(victim)) { failedServersSince[victim] = nil }
        raftNode.process()
    }
}
