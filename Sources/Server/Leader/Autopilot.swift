import Gossip
import Platform
import Raft

/// Autopilot on the leader: servers seen in gossip but missing from Raft join as non-voters and
/// are promoted once caught up and stable (one configuration change at a time, as Raft
/// requires); dead-server cleanup (agent.md §7.4, `cleanup_dead_servers`, on by default) removes
/// a server gossip has reported failed for the stabilization time (10 s), one at a time, and
/// only while the failed voters are a minority that can go without dropping below `min_quorum`.
extension ConsulServer {
    /// One configuration change at a time, as Raft requires.
    func autopilotStep() {
        let raft = raftNode.raft
        let configuration = raft.configuration
        let now = host.clock.now
        for server in knownServers() where server.status == .alive && !configuration.members.contains(server.id) {
            log.info("autopilot: adding server as non-voter", [("id", server.id), ("name", server.name)])
            _ = raft.proposeConfigurationChange(.addNonVoter(server.id))
            raftNode.process()
            nonVoterSince[server.id] = now
            return
        }
        for id in configuration.nonVoters {
            let since = nonVoterSince[id] ?? now
            nonVoterSince[id] = since
            guard let match = raft.matchIndex(of: id), match + 250 >= raft.lastIndex,
                  now.nanoseconds - since.nanoseconds >= ConsulServer.serverStabilizationNanos else { continue }
            log.info("autopilot: promoting server to voter", [("id", id)])
            _ = raft.proposeConfigurationChange(.promote(id))
            raftNode.process()
            nonVoterSince[id] = nil
            return
        }
    }

    static let serverStabilizationNanos: UInt64 = 10_000_000_000

    func pruneDeadServers() {
        let settings = autopilotConfiguration
        guard settings.cleanupDeadServers, raftNode.raft.role == .leader else {
            failedServersSince = [:]
            return
        }
        let raft = raftNode.raft
        let configuration = raft.configuration
        let now = host.clock.now
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
            log.warn("autopilot: not removing failed servers: too many to remove safely",
                        [("failed", failed.joined(separator: ",")), ("voters", String(voters))])
            return
        }
        log.info("autopilot: removing dead server", [("id", victim)])
        if case .success = raft.proposeConfigurationChange(.remove(victim)) { failedServersSince[victim] = nil }
        raftNode.process()
    }
}
