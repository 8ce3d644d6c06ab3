import Raft
import Server
import Simulation
import Testing

/// The production RaftNode driver and Raft core in the seeded simulated world.
@Suite struct SimulationTests {
    /// 250 seeds over 1-, 3- and 5-server clusters with loss, duplication, reordering,
    /// partitions, crashes and restarts: every safety check holds, the cluster heals, and the
    /// client history is linearizable.
    @Test func seedSweep() {
        var failures: [String] = []
        for seed in UInt64(1)...UInt64(250) {
            let result = SimRunner.run(seed: seed, chaosSeconds: 5)
            if let failure = result.failure { failures.append("seed \(seed): \(failure)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// A seed replays exactly: the same run twice gives the same history size and applied index.
    @Test func seedsReplayExactly() {
        let a = SimRunner.run(seed: 4242, size: 3, chaosSeconds: 4)
        let b = SimRunner.run(seed: 4242, size: 3, chaosSeconds: 4)
        #expect(a.operations == b.operations)
        #expect(a.applied == b.applied)
        #expect(a.crashes == b.crashes)
        #expect(a.failure == b.failure)
    }

    /// The checker is not vacuous: a history where a read misses an acknowledged write fails.
    @Test func linearizabilityCheckerCatchesStaleRead() {
        var put = Operation(client: 0, key: "x", kind: .put("a"), invoked: 0)
        put.completed = 10
        put.outcome = .ok
        var read = Operation(client: 1, key: "x", kind: .get, invoked: 20)
        read.completed = 30
        read.outcome = .value(nil)
        #expect(LinearizabilityChecker.check([put, read]) != .linearizable)
        read.outcome = .value("a")
        #expect(LinearizabilityChecker.check([put, read]) == .linearizable)
        // An unknown write may or may not have happened: both reads are fine.
        var maybe = Operation(client: 0, key: "y", kind: .put("b"), invoked: 0)
        maybe.outcome = .unknown
        var r1 = Operation(client: 1, key: "y", kind: .get, invoked: 5)
        r1.completed = 6
        r1.outcome = .value(nil)
        var r2 = Operation(client: 1, key: "y", kind: .get, invoked: 7)
        r2.completed = 8
        r2.outcome = .value("b")
        #expect(LinearizabilityChecker.check([maybe, r1, r2]) == .linearizable)
    }

    /// compareAndSet is checked against the register: a CAS that applied needs its expected
    /// value in place, one that refused needs a different value, and an unknown one may go either way.
    @Test func linearizabilityCheckerModelsCompareAndSet() {
        func op(_ kind: Operation.Kind, _ outcome: Operation.Outcome, _ t: UInt64, client: Int = 0) -> Operation {
            var o = Operation(client: client, key: "x", kind: kind, invoked: t)
            o.completed = outcome == .unknown ? .max : t + 1
            o.outcome = outcome
            return o
        }
        let put = op(.put("a"), .ok, 0)
        // Applied from the value it expected, then read back.
        #expect(LinearizabilityChecker.check([put, op(.compareAndSet(expected: "a", new: "b"), .created(true), 10),
                                              op(.get, .value("b"), 20)]) == .linearizable)
        // Applied although the register held something else.
        #expect(LinearizabilityChecker.check([put, op(.compareAndSet(expected: "z", new: "b"), .created(true), 10)]) != .linearizable)
        // Refused although the register held exactly the expected value.
        #expect(LinearizabilityChecker.check([put, op(.compareAndSet(expected: "a", new: "b"), .created(false), 10)]) != .linearizable)
        // Refused because the register held another value: nothing changes.
        #expect(LinearizabilityChecker.check([put, op(.compareAndSet(expected: "z", new: "b"), .created(false), 10),
                                              op(.get, .value("a"), 20)]) == .linearizable)
        // expected nil means "absent", like createIfAbsent.
        #expect(LinearizabilityChecker.check([op(.compareAndSet(expected: nil, new: "c"), .created(true), 0),
                                              op(.get, .value("c"), 10)]) == .linearizable)
        // Two CASes from the same expected value cannot both apply.
        #expect(LinearizabilityChecker.check([put, op(.compareAndSet(expected: "a", new: "b"), .created(true), 10),
                                              op(.compareAndSet(expected: "a", new: "c"), .created(true), 20, client: 1)]) != .linearizable)
        // An unknown CAS may have applied, or not.
        let maybe = op(.compareAndSet(expected: "a", new: "b"), .unknown, 10)
        #expect(LinearizabilityChecker.check([put, maybe, op(.get, .value("b"), 20)]) == .linearizable)
        #expect(LinearizabilityChecker.check([put, maybe, op(.get, .value("a"), 20)]) == .linearizable)
    }
}
