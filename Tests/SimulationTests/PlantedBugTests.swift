import ConsulState
import Raft
@testable import Simulation
import Testing

/// Each of the simulation's safety checks, fed the symptom of the bug it exists to catch
/// (Raft paper §5.4, Figure 3), reports it. (Leader completeness: SafetyCheckerTests;
/// linearizability: SimulationTests.)
@Suite("Checkers catch planted bugs")
struct PlantedBugTests {
    private func entry(_ index: UInt64, term: UInt64, _ byte: UInt8) -> Entry { Entry(index: index, term: term, data: [byte]) }

    /// Two leaders in one term (a vote counted twice).
    @Test func electionSafety() throws {
        let checker = SafetyChecker()
        checker.leaderElected("a", term: 2, raft: Raft(config: RaftConfig(id: "a"), entries: []))
        checker.leaderElected("b", term: 2, raft: Raft(config: RaftConfig(id: "b"), entries: []))
        #expect(try #require(checker.failure).contains("election safety: a and b both leaders in term 2"))
    }

    /// Two logs with different commands under the same index and term (a leader that overwrote
    /// its own entry).
    @Test func logMatching() throws {
        let checker = SafetyChecker()
        checker.checkLogs(["a": Raft(config: RaftConfig(id: "a"), entries: [entry(1, term: 1, 1)])])
        #expect(checker.failure == nil)
        checker.checkLogs(["b": Raft(config: RaftConfig(id: "b"), entries: [entry(1, term: 1, 2)])])
        #expect(try #require(checker.failure).contains("log matching: b has a different entry at index 1 term 1"))
    }

    /// A different command applied at an index another server applied (applied before commit).
    @Test func stateMachineSafetyOfEntries() throws {
        let checker = SafetyChecker()
        checker.applied(entry(1, term: 1, 1), on: "a", currentTerm: 1, store: StateStore())
        checker.applied(entry(1, term: 1, 2), on: "b", currentTerm: 1, store: StateStore())
        #expect(try #require(checker.failure).contains("state machine safety: b applied a different entry at index 1"))
    }

    /// The same entry leaving two replicas in different states (a non-deterministic apply).
    @Test func stateMachineSafetyOfStates() throws {
        let checker = SafetyChecker()
        let one = StateStore(), other = StateStore()
        other.apply(.kvSet(key: "drift", value: [1], flags: 0), at: 1)
        checker.applied(entry(2, term: 1, 7), on: "a", currentTerm: 1, store: one)
        checker.applied(entry(2, term: 1, 7), on: "b", currentTerm: 1, store: other)
        #expect(try #require(checker.failure).contains("state machine safety: b state differs after index 2"))
    }

    /// An entry applied while fewer than a quorum of disks hold it (acknowledged before persisted).
    @Test func durability() throws {
        let checker = SafetyChecker()
        checker.quorum = 2
        checker.durableCopies = { _, _ in 1 }
        checker.applied(entry(1, term: 1, 1), on: "a", currentTerm: 1, store: StateStore())
        #expect(try #require(checker.failure).contains("durability: index 1 term 1 applied on a but durable on only 1 of 2"))
    }
}
