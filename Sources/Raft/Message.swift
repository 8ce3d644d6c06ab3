/// A message between Raft servers. `term` is the sender's current term.
public struct Message: Equatable, Sendable {
    public var from: ServerID
    public var to: ServerID
    public var term: UInt64
    public var body: MessageBody

    public init(from: ServerID, to: ServerID, term: UInt64, body: MessageBody) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }
}

public enum MessageBody: Equatable, Sendable {
    /// Pre-vote (§9.6 of the dissertation): "would you vote for me in `term`?" — sent with the
    /// proposed term, without the sender having incremented its own.
    case preVote(lastIndex: UInt64, lastTerm: UInt64)
    case preVoteResponse(granted: Bool)
    case requestVote(lastIndex: UInt64, lastTerm: UInt64, transfer: Bool)
    case requestVoteResponse(granted: Bool)
    /// Replication and heartbeat. `readSeq` tags the heartbeat round that confirms leadership
    /// for batched ReadIndex requests (0 = none).
    case appendEntries(prevIndex: UInt64, prevTerm: UInt64, entries: [Entry], commit: UInt64, readSeq: UInt64)
    /// `success` with the follower's match index, or a rejection with a hint for fast
    /// back-tracking: the conflicting term and the first index the follower has for it
    /// (or its last index + 1 when its log is shorter, `conflictTerm` 0).
    case appendEntriesResponse(success: Bool, matchIndex: UInt64, conflictTerm: UInt64, conflictIndex: UInt64, readSeq: UInt64)
    /// One chunk of a snapshot; `done` on the last.
    case installSnapshot(index: UInt64, term: UInt64, configuration: [UInt8], offset: UInt64, chunk: [UInt8], done: Bool)
    /// `nextOffset` = bytes received so far (or the snapshot index once installed, `installed` true).
    case installSnapshotResponse(index: UInt64, nextOffset: UInt64, installed: Bool)
    /// Leadership transfer: start an election now, skipping pre-vote.
    case timeoutNow
}
