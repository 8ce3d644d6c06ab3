/// The leader's view of one follower's replication.
struct Progress {
    enum State: Equatable {
        /// Unknown match: one AppendEntries at a time until a success.
        case probe
        /// Match known: entries are pipelined up to `inflightMax` messages.
        case replicate
        /// The follower is behind the log's start: streaming a snapshot.
        case snapshot(index: UInt64, offset: UInt64)
    }

    var match: UInt64 = 0
    var next: UInt64
    var state: State = .probe
    /// Last index carried by each pipelined message not yet acknowledged.
    var inflight: [UInt64] = []
    /// In probe state, a message is out and we wait for its answer (or the next heartbeat).
    var probeSent = false
    /// Heard from since the last check-quorum round.
    var recentActive = false
    /// Tick of the last response (leader lease).
    var lastResponseTick: Int = Int.min / 2
    /// Highest ReadIndex heartbeat round this follower acknowledged.
    var ackedReadSeq: UInt64 = 0

    init(next: UInt64) { self.next = next }

    mutating func becomeProbe() {
        state = .probe
        next = max(next, match + 1)
        inflight = []
        probeSent = false
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        inflight = []
    }

    /// Frees pipeline slots for messages the follower has now acknowledged.
    mutating func acknowledge(through index: UInt64) {
        inflight.removeAll { $0 <= index }
    }
}
