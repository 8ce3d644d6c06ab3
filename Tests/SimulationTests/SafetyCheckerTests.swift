import Raft
@testable import Simulation
import Testing

/// A Raft core whose log holds one entry per term in `terms` (index 1 first), as a restarted
/// server would load it; the checker reads only its log.
private func raft(_ id: ServerID, terms: [UInt64]) -> Raft {
    let entries = terms.enumerated().map { Entry(index: UInt64($0.offset + 1), term: $0.element, data: [UInt8($0.offset)]) }
    return Raft(config: RaftConfig(id: id), entries: entries)
}

/// Index 2, committed in term 3.
private let committed = Entry(index: 2, term: 3, data: [42])

/// The simulation's leader-completeness check (Raft §5.4.3): only leaders of terms after the one
/// that committed an entry must hold it. (The StateStore argument is made with `.init()`:
/// SimulationTests does not import ConsulState.)
@Suite("SafetyChecker leader completeness")
struct SafetyCheckerTests {
    /// Proves a leader of an older term, observed late after an entry committed in a later term, is not a violation.
    @Test func olderTermLeaderObservedLateIsNotAViolation() {
        let checker = SafetyChecker()
        checker.applied(committed, on: "a", currentTerm: 3, store: .init())
        checker.leaderElected("b", term: 2, raft: raft("b", terms: [1, 2]))
        checker.leaderElected("c", term: 1, raft: raft("c", terms: [1]))
        #expect(checker.failure == nil)
    }

    /// Proves a leader of a later term whose log ends before a committed index is a violation.
    @Test func laterTermLeaderLackingCommittedEntryIsAViolation() throws {
        let checker = SafetyChecker()
        checker.applied(committed, on: "a", currentTerm: 3, store: .init())
        checker.leaderElected("b", term: 4, raft: raft("b", terms: [1]))
        let failure = try #require(checker.failure)
        #expect(failure.contains("leader completeness"))
        #expect(failure.contains("lacks committed index 2"))
    }

    /// Proves a leader of a later term holding another term's entry at a committed index is a violation.
    @Test func laterTermLeaderWithDifferentTermAtCommittedIndexIsAViolation() throws {
        let checker = SafetyChecker()
        checker.applied(committed, on: "a", currentTerm: 3, store: .init())
        checker.leaderElected("b", term: 4, raft: raft("b", terms: [1, 2]))
        let failure = try #require(checker.failure)
        #expect(failure.contains("leader completeness"))
        #expect(failure.contains("has term 2 at committed index 2, expected 3"))
    }

    /// Proves a leader of a later term whose log holds the committed entry passes.
    @Test func laterTermLeaderHoldingCommittedEntryPasses() {
        let checker = SafetyChecker()
        checker.applied(committed, on: "a", currentTerm: 3, store: .init())
        checker.leaderElected("b", term: 4, raft: raft("b", terms: [1, 3, 4]))
        #expect(checker.failure == nil)
    }

    /// Proves the lowest term of any server seen applying an entry bounds its committing term: applied in
    /// term 5 and then by a server still in term 3, a term-4 leader without it is a violation.
    @Test func lowestApplyingTermBindsLaterLeaders() throws {
        let checker = SafetyChecker()
        checker.applied(committed, on: "a", currentTerm: 5, store: .init())
        checker.leaderElected("b", term: 4, raft: raft("b", terms: [1]))
        #expect(checker.failure == nil)

        checker.applied(committed, on: "c", currentTerm: 3, store: .init())
        // The same leader of term 4 seen again (another leader of term 4 would break election safety).
        checker.leaderElected("b", term: 4, raft: raft("b", terms: [1]))
        let failure = try #require(checker.failure)
        #expect(failure.contains("lacks committed index 2"))
    }
}
