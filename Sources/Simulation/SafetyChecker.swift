import ConsulState
import Raft
import Server

/// Raft's safety properties (paper §5.4, Figure 3), checked while the simulation runs:
/// election safety, log matching, leader completeness and state-machine safety.
final class SafetyChecker {
    var failure: String?
    /// term → the leader elected in it.
    private var leaders: [UInt64: ServerID] = [:]
    /// index → (term, data hash) of the entry applied there (first node to apply it), and the
    /// lowest current term of any server seen applying it: the entry was committed by a leader
    /// of that term or an earlier one.
    private var appliedEntries: [UInt64: (term: UInt64, hash: UInt64, committedBy: UInt64)] = [:]
    /// index → hash of the state after applying it.
    private var stateHashes: [UInt64: UInt64] = [:]
    /// (index, term) → data hash for every entry seen in any log.
    private var seenEntries: [[UInt64]: UInt64] = [:]
    public private(set) var highestApplied: UInt64 = 0
    /// How many servers hold (index, term) durably on disk, and how many make a quorum.
    var durableCopies: (UInt64, UInt64) -> Int = { _, _ in Int.max }
    var quorum = 1

    func fail(_ message: String) { if failure == nil { failure = message } }

    /// How many of `disks` hold (index, term) durably: in their log, or covered by their newest snapshot.
    static func durableCopies(of index: UInt64, term: UInt64, on disks: some Collection<SimDisk>) -> Int {
        disks.filter { disk in
            disk.entries.contains { $0.index == index && $0.term == term }
                || (disk.snapshots.last.map { $0.meta.index >= index } ?? false)
        }.count
    }

    func leaderElected(_ id: ServerID, term: UInt64, raft: Raft) {
        if let other = leaders[term], other != id {
            fail("election safety: \(other) and \(id) both leaders in term \(term)")
        }
        leaders[term] = id
        // Leader completeness (Raft §5.4.3): an entry committed in an earlier term is in the log
        // of every leader of a later term. A leader of an older term can be observed late (a
        // stalled server) after a newer leader committed entries it never had; that is not a
        // violation, so only entries known to be committed before `term` bind this leader.
        for (index, applied) in appliedEntries where index >= raft.firstIndex && applied.committedBy < term {
            guard let t = raft.term(at: index) else {
                fail("leader completeness: leader \(id) (term \(term)) lacks committed index \(index)")
                return
            }
            if t != applied.term {
                fail("leader completeness: leader \(id) has term \(t) at committed index \(index), expected \(applied.term)")
                return
            }
        }
    }

    /// `currentTerm`: the applying server's term; the leader that committed the entry had it or an earlier one.
    func applied(_ entry: Entry, on id: ServerID, currentTerm: UInt64, store: StateStore) {
        let hash = fnv(entry.data) ^ UInt64(entry.kind.rawValue)
        if let first = appliedEntries[entry.index] {
            if first.term != entry.term || first.hash != hash {
                fail("state machine safety: \(id) applied a different entry at index \(entry.index)")
            }
            if currentTerm < first.committedBy { appliedEntries[entry.index]?.committedBy = currentTerm }
        } else {
            appliedEntries[entry.index] = (entry.term, hash, currentTerm)
            // Committed means durable on a quorum: check the disks, not just the leader's word.
            let copies = durableCopies(entry.index, entry.term)
            if copies < quorum {
                fail("durability: index \(entry.index) term \(entry.term) applied on \(id) but durable on only \(copies) of \(quorum) needed disks")
            }
        }
        let state = fnv(store.snapshot())
        if let expected = stateHashes[entry.index] {
            if expected != state { fail("state machine safety: \(id) state differs after index \(entry.index)") }
        } else {
            stateHashes[entry.index] = state
        }
        highestApplied = max(highestApplied, entry.index)
    }

    /// Log matching: two entries with the same index and term carry the same command.
    func checkLogs(_ logs: [ServerID: Raft]) {
        for (id, raft) in logs {
            let from = max(raft.firstIndex, raft.lastIndex > 20 ? raft.lastIndex - 20 : 1)
            for e in raft.entries(from: from, to: raft.lastIndex) {
                let key = [e.index, e.term]
                let hash = fnv(e.data) ^ UInt64(e.kind.rawValue)
                if let seen = seenEntries[key], seen != hash {
                    fail("log matching: \(id) has a different entry at index \(e.index) term \(e.term)")
                    return
                }
                seenEntries[key] = hash
            }
        }
    }

    func appliedTerm(at index: UInt64) -> UInt64? { appliedEntries[index]?.term }
}

func fnv(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
