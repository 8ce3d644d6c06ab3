/// One seeded run: a cluster under faults and a client workload, then a healing phase, then
/// the checks. Everything derives from the seed, so a failing seed replays exactly.
public struct SimRunResult: CustomStringConvertible {
    public var seed: UInt64
    public var size: Int
    public var failure: String?
    public var operations: Int
    public var completed = 0
    public var applied: UInt64
    public var crashes: Int
    /// Sessions created (server-level runs).
    public var sessions = 0
    /// Reads answered through client agents (server-level runs).
    public var clientReads = 0
    /// Lock acquisitions held to a previous holder's lock-delay (server-level runs).
    public var lockDelayChecks = 0
    public var description: String {
        "seed \(seed) size \(size): " + (failure.map { "FAIL \($0)" } ?? "ok (\(operations) ops, \(completed) completed, \(applied) entries applied, \(crashes) crashes)")
    }
}

public enum SimRunner {
    static let second: UInt64 = 1_000_000_000

    /// `size` nil = 1, 3 or 5 chosen by the seed.
    public static func run(seed: UInt64, size requested: Int? = nil, chaosSeconds: UInt64 = 12) -> SimRunResult {
        var pick = SimRandom(seed: seed ^ 0x5EED)
        let size = requested ?? [1, 3, 5][Int(pick.below(3))]
        let cluster = SimCluster(size: size, seed: seed)
        var result = SimRunResult(seed: seed, size: size, failure: nil, operations: 0, applied: 0, crashes: 0)
        do { try cluster.startAll() } catch {
            result.failure = "start: \(error)"
            return result
        }
        let workload = Workload(cluster: cluster)
        cluster.network.faults.dropProbability = 0.05
        cluster.network.faults.duplicateProbability = 0.03
        cluster.network.faults.delayNanos = 500_000...30_000_000

        // Chaos: partitions, crashes and restarts while clients keep working.
        let chaosEnd = cluster.world.now + chaosSeconds * second
        while cluster.world.now < chaosEnd && cluster.failure == nil {
            workload.step()
            let roll = cluster.world.random.below(1000)
            if roll < 8, size > 1 {
                let victim = cluster.ids[Int(cluster.world.random.below(UInt64(size)))]
                if cluster.isUp(victim) {
                    cluster.crash(victim)
                    result.crashes += 1
                } else {
                    do { try cluster.start(victim) } catch { result.failure = "restart of \(victim): \(error)" }
                }
            } else if roll < 14, size > 1 {
                let isolated = cluster.ids[Int(cluster.world.random.below(UInt64(size)))]
                cluster.network.isolate(isolated, from: cluster.ids)
            } else if roll < 24 {
                cluster.network.heal()
            } else if roll < 28, size > 1 {
                // Clock jump: a server freezes for up to 2 s and resumes with time moved on.
                let victim = cluster.ids[Int(cluster.world.random.below(UInt64(size)))]
                cluster.stall(victim, for: cluster.world.random.range(100_000_000, 2_000_000_000))
            } else if roll < 30, size > 1 {
                // Drift within what NTP-disciplined clocks show: ±10 %.
                let victim = cluster.ids[Int(cluster.world.random.below(UInt64(size)))]
                cluster.setClockRate(victim, 0.9 + Double(cluster.world.random.below(21)) / 100)
            }
            cluster.run(for: 50_000_000)
        }

        // Heal: every server up, a clean network, a quiet period for convergence.
        cluster.network.heal()
        cluster.network.faults = NetworkFaults()
        for id in cluster.ids where !cluster.isUp(id) {
            do { try cluster.start(id) } catch { result.failure = "restart of \(id): \(error)" }
        }
        if result.failure != nil { return result }
        cluster.run(for: 5 * second)
        // One more write through the leader proves the cluster is live again.
        var livenessOK = false
        if let leader = cluster.leader {
            cluster.nodes[leader]?.propose(.kvSet(key: "liveness", value: [1], flags: 0)) { r in
                if case .success = r { livenessOK = true }
            }
        }
        cluster.run(for: 5 * second)
        result.operations = workload.history.count
        result.completed = workload.completedOperations
        result.applied = cluster.checker.highestApplied
        if let failure = cluster.failure {
            result.failure = failure
            return result
        }
        let states = cluster.ids.compactMap { cluster.nodes[$0].map { fnv($0.store.snapshot()) } }
        result.failure = HealedRunVerdict.failure(livenessOK: livenessOK, leader: cluster.leader,
                                                  applied: cluster.ids.compactMap { cluster.nodes[$0]?.appliedIndex },
                                                  stateHashes: states, history: workload.history)
        return result
    }
}

/// The checks after a run healed, shared by the Raft-level and server-level runners: a write
/// committed again (liveness), every server applied the same entries and holds the same state
/// (convergence), and the client history is linearizable. nil when all hold.
enum HealedRunVerdict {
    static func failure(livenessOK: Bool, leader: String?, applied: [UInt64], stateHashes: [UInt64],
                        history: [Operation]) -> String? {
        guard livenessOK else { return "liveness: no write committed within 10 s after healing (leader: \(leader ?? "none"))" }
        guard Set(applied).count == 1 else { return "convergence: applied indexes differ after healing: \(applied)" }
        guard Set(stateHashes).count == 1 else { return "convergence: server states differ after healing" }
        if case .violation(let why) = LinearizabilityChecker.check(history) { return "linearizability: \(why)" }
        return nil
    }
}
