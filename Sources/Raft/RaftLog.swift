/// The log as the core sees it: a snapshot boundary, then entries kept in memory (bounded by
/// compaction), with `stableIndex` marking what storage has made durable.
struct RaftLog {
    /// Last index/term covered by the snapshot (0/0 when none).
    private(set) var snapshotIndex: UInt64 = 0
    private(set) var snapshotTerm: UInt64 = 0
    /// entries[i].index == snapshotIndex + 1 + i
    private(set) var entries: [Entry] = []
    /// Highest index known durable locally.
    var stableIndex: UInt64 = 0
    /// Entries up to here have been handed to the driver for persistence.
    var handedOutIndex: UInt64 = 0
    var commitIndex: UInt64 = 0
    /// Entries up to here have been handed to the driver for applying.
    var appliedHandedOut: UInt64 = 0

    init() {}

    /// Start-up state: snapshot boundary and the durable entries after it.
    init(snapshotIndex: UInt64, snapshotTerm: UInt64, entries: [Entry]) {
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
        self.entries = entries.filter { $0.index > snapshotIndex }
        stableIndex = lastIndex
        handedOutIndex = lastIndex
        commitIndex = snapshotIndex
        appliedHandedOut = snapshotIndex
    }

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }

    /// The term of the entry at `index`; nil if compacted away or beyond the end.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }

    func entry(at index: UInt64) -> Entry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    /// Entries in `from...to` (clamped), at most `maxCount`, and no more than `maxBytes` of
    /// data once past the first entry (which always comes, however large).
    func slice(from: UInt64, to: UInt64, maxCount: Int, maxBytes: Int = .max) -> [Entry] {
        guard from <= to, from > snapshotIndex, from <= lastIndex else { return [] }
        var end = min(to, lastIndex, from + UInt64(maxCount) - 1)
        if maxBytes < .max {
            var bytes = 0
            for i in from...end {
                bytes += entries[Int(i - snapshotIndex - 1)].data.count
                if bytes > maxBytes && i > from { end = i - 1; break }
            }
        }
        return Array(entries[Int(from - snapshotIndex - 1)...Int(end - snapshotIndex - 1)])
    }

    /// §5.4.1: a candidate's log is at least as up-to-date as ours.
    func isUpToDate(lastIndex otherIndex: UInt64, lastTerm otherTerm: UInt64) -> Bool {
        otherTerm > lastTerm || (otherTerm == lastTerm && otherIndex >= lastIndex)
    }

    mutating func append(_ entry: Entry) {
        precondition(entry.index == lastIndex + 1, "log append out of order")
        entries.append(entry)
    }

    /// Follower side of AppendEntries after the consistency check passed: skip entries we
    /// already have, truncate at the first conflict (never below commit), append the rest.
    /// Returns the index of the first entry truncated, if any.
    mutating func merge(_ incoming: [Entry]) -> UInt64? {
        var truncatedAt: UInt64?
        for e in incoming {
            if e.index <= snapshotIndex { continue }
            if let t = term(at: e.index) {
                if t == e.term { continue }
                precondition(e.index > commitIndex, "Raft safety: truncating a committed entry \(e.index)")
                entries.removeSubrange(Int(e.index - snapshotIndex - 1)...)
                truncatedAt = truncatedAt ?? e.index
                stableIndex = min(stableIndex, e.index - 1)
                handedOutIndex = min(handedOutIndex, e.index - 1)
            }
            append(e)
        }
        return truncatedAt
    }

    /// First index of the term of the entry at `index` (fast back-tracking hint).
    func firstIndex(ofTermAt index: UInt64) -> UInt64 {
        guard let t = term(at: index) else { return index }
        var i = index
        while i > firstIndex, term(at: i - 1) == t { i -= 1 }
        return i
    }

    /// Last index holding `term`, if any (leader side of fast back-tracking).
    func lastIndex(ofTerm t: UInt64) -> UInt64? {
        var i = lastIndex
        while i >= firstIndex {
            guard let ti = term(at: i) else { return nil }
            if ti == t { return i }
            if ti < t { return nil }
            i -= 1
        }
        return snapshotTerm == t ? snapshotIndex : nil
    }

    /// Drops entries up to `index` (covered by a snapshot taken at `index`/`term`).
    mutating func compact(through index: UInt64, term: UInt64) {
        guard index > snapshotIndex else { return }
        if index >= lastIndex {
            entries = []
        } else {
            entries.removeFirst(Int(index - snapshotIndex))
        }
        snapshotIndex = index
        snapshotTerm = term
    }

    /// Replaces everything with a snapshot received from the leader.
    mutating func restore(snapshotIndex index: UInt64, term: UInt64) {
        entries = []
        snapshotIndex = index
        snapshotTerm = term
        commitIndex = max(commitIndex, index)
        stableIndex = index
        handedOutIndex = index
        appliedHandedOut = index
    }

    /// Entries persisted-or-not that the driver has not been handed yet.
    mutating func takeUnstable() -> [Entry] {
        guard handedOutIndex < lastIndex else { return [] }
        let out = slice(from: handedOutIndex + 1, to: lastIndex, maxCount: Int.max)
        handedOutIndex = lastIndex
        return out
    }

    /// Committed, locally durable entries not yet handed out for applying.
    mutating func takeCommitted() -> [Entry] {
        let upTo = min(commitIndex, stableIndex)
        guard appliedHandedOut < upTo else { return [] }
        let out = slice(from: appliedHandedOut + 1, to: upTo, maxCount: Int.max)
        appliedHandedOut = upTo
        return out
    }
}
