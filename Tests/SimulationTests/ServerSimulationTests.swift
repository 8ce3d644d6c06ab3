import Simulation
import Testing

/// The production server (ConsulServer: RaftBackend forwarding, ReadIndex through followers,
/// the server RPC over simulated TCP, bootstrap-expect) in the seeded simulated world.
@Suite struct ServerSimulationTests {
    /// 3- and 5-server clusters founded by -bootstrap-expect, clients writing and reading through
    /// any server and through client agents (forwarded writes, HTTP reads run by a server's API)
    /// while servers crash, restart, stall and get partitioned: every safety check holds, the
    /// cluster heals, and the history is linearizable.
    @Test func serverSeedSweep() {
        var failures: [String] = []
        var completed = 0, sessions = 0, clientReads = 0
        for seed in UInt64(1)...UInt64(12) {
            let result = ServerSimRunner.run(seed: seed, chaosSeconds: 8)
            completed += result.completed
            sessions += result.sessions
            clientReads += result.clientReads
            if let failure = result.failure { failures.append("seed \(seed): \(failure)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
        #expect(completed > 100, "the workload hardly ran: \(completed) operations completed")
        #expect(sessions > 10, "sessions hardly ran: \(sessions) created")
        #expect(clientReads > 20, "reads through client agents hardly ran: \(clientReads)")
    }

    /// A seed replays exactly, through the server RPC and its simulated connections too.
    @Test func serverSeedsReplayExactly() {
        let a = ServerSimRunner.run(seed: 77, size: 3, chaosSeconds: 4)
        let b = ServerSimRunner.run(seed: 77, size: 3, chaosSeconds: 4)
        #expect(a.operations == b.operations && a.applied == b.applied && a.crashes == b.crashes && a.failure == b.failure)
    }
}
