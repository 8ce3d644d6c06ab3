/// Output of the core since the last `ready()`. The driver, in this order: sends `messages`;
/// persists `hardState`, `entries` (replacing the log from `entries.first.index`) and
/// `snapshot` (then restores the FSM from it); then calls `persisted(_:)` and sends
/// `messagesAfterPersist`; applies `committedEntries` in order; serves `readStates` once the
/// applied index reaches them.
public struct Ready: Equatable, Sendable {
    public var hardState: HardState?
    public var entries: [Entry] = []
    public var snapshot: Snapshot?
    public var messages: [Message] = []
    public var messagesAfterPersist: [Message] = []
    public var committedEntries: [Entry] = []
    public var readStates: [ReadState] = []
    public var softState: SoftState?

    public var isEmpty: Bool {
        hardState == nil && entries.isEmpty && snapshot == nil && messages.isEmpty && messagesAfterPersist.isEmpty
            && committedEntries.isEmpty && readStates.isEmpty && softState == nil
    }

    /// Whether anything must reach disk before `messagesAfterPersist` may be sent.
    public var needsPersist: Bool { hardState != nil || !entries.isEmpty || snapshot != nil }
}

/// The Raft consensus core: a pure state machine. Input: `tick()`, `step(_:)`, `propose(_:)`,
/// `readIndex(_:)`, membership and transfer requests. Output: `ready()`. It never touches a
/// socket, a disk or a clock, so tests and the simulation decide every delivery and crash.
public final class Raft {
    public let config: RaftConfig
    public var id: ServerID { config.id }

    // Persistent (through Ready.hardState)
    public internal(set) var term: UInt64 = 0
    public internal(set) var vote: ServerID?
    var log: RaftLog

    // Volatile
    public internal(set) var role: Role = .follower
    public internal(set) var leader: ServerID?
    /// Membership in effect (the newest configuration entry in the log, or the snapshot's).
    public internal(set) var configuration = Configuration()
    /// (index, configuration) for every configuration entry still in the log, oldest first;
    /// the first element is the base (snapshot or bootstrap).
    var configurations: [(index: UInt64, configuration: Configuration)] = []
    var progress: [ServerID: Progress] = [:]
    var votes: [ServerID: Bool] = [:]
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTicks = 0
    var ticks = 0
    var random: DeterministicRandom
    var leadTransferee: ServerID?
    var transferElapsed = 0

    // Read index
    var pendingReads: [(requestID: UInt64, index: UInt64, seq: UInt64)] = []
    var readsAwaitingCommit: [UInt64] = []
    /// Every heartbeat broadcast is a numbered round; followers echo the newest round they saw.
    /// An echo of round r proves the follower still followed us at `roundSentTick[r]` — the
    /// basis of both the lease (timed from the send, never from the echo) and ReadIndex.
    var heartbeatRound: UInt64 = 0
    var roundSentTick: [UInt64: Int] = [:]
    /// The round whose quorum echo will release the reads queued so far.
    var readRoundInFlight: UInt64?

    // Snapshots
    /// The newest FSM snapshot, for followers that fell behind the log's start.
    public internal(set) var latestSnapshot: Snapshot?
    var incomingSnapshot: (index: UInt64, term: UInt64, configuration: [UInt8], data: [UInt8])?

    // Pending output
    var outbox: [Message] = []
    /// Entries proposed with `broadcast: false` not yet offered to followers.
    var appendsPending = false
    var outboxAfterPersist: [Message] = []
    var readStates: [ReadState] = []
    var pendingSnapshot: Snapshot?
    var handedOutHardState = HardState()
    var handedOutSoftState: SoftState?

    /// Restores a node from what storage held: hard state, newest snapshot (if any), and the
    /// entries after it. A brand-new cluster passes `bootstrap` (every founding server the same
    /// value); it becomes log entry 1 at term 1 when the log is empty.
    public init(config: RaftConfig, hardState: HardState = HardState(), snapshot: Snapshot? = nil,
                entries: [Entry] = [], bootstrap: Configuration? = nil) {
        self.config = config
        random = DeterministicRandom(seed: config.seed &+ UInt64(truncatingIfNeeded: config.id.hashValueStable))
        term = hardState.term
        vote = hardState.vote
        handedOutHardState = hardState
        log = RaftLog(snapshotIndex: snapshot?.index ?? 0, snapshotTerm: snapshot?.term ?? 0, entries: entries)
        if let snapshot {
            latestSnapshot = snapshot
            configurations = [(snapshot.index, snapshot.configuration)]
        } else {
            configurations = [(0, Configuration())]
        }
        for e in log.slice(from: log.firstIndex, to: log.lastIndex, maxCount: Int.max) where e.kind == .configuration {
            if let c = Configuration(encoded: e.data) { configurations.append((e.index, c)) }
        }
        if log.lastIndex == 0, let bootstrap {
            term = max(term, 1)
            log.append(Entry(index: 1, term: 1, kind: .configuration, data: bootstrap.encoded))
            configurations.append((1, bootstrap))
        }
        configuration = configurations.last!.configuration
        resetRandomizedElectionTimeout()
    }

    // MARK: Inputs

    /// Bootstraps a server that started with an empty log (`-bootstrap-expect`): the founding
    /// configuration becomes entry 1 at term 1, exactly as if it had been passed at start-up, so
    /// every founding server writes the same entry. False when the log is not empty.
    @discardableResult
    public func bootstrap(_ founding: Configuration) -> Bool {
        guard log.lastIndex == 0, configuration.members.isEmpty, !founding.voters.isEmpty else { return false }
        term = max(term, 1)
        log.append(Entry(index: 1, term: 1, kind: .configuration, data: founding.encoded))
        configurations.append((1, founding))
        configuration = founding
        resetRandomizedElectionTimeout()
        return true
    }

    /// Whether this server has never been part of a cluster (nothing to recover).
    public var isPristine: Bool { log.lastIndex == 0 && configuration.members.isEmpty }

    /// One unit of logical time.
    public func tick() {
        ticks += 1
        switch role {
        case .leader: tickLeader()
        default: tickElection()
        }
    }

    /// Starts an election now (a single-voter cluster at start-up, or an operator's request).
    public func campaignNow() {
        guard role != .leader, configuration.voters.contains(id) else { return }
        campaign(preVote: config.preVote && configuration.voters.count > 1, transfer: false)
    }

    /// Proposes an FSM command; returns the index and term it will commit at if it commits.
    /// With `broadcast: false` the entry waits for `flushAppends()`, so a burst of proposals
    /// reaches each follower as one message.
    public func propose(_ data: [UInt8], broadcast: Bool = true) -> Result<(index: UInt64, term: UInt64), ProposeError> {
        guard role == .leader else { return .failure(.notLeader(leader: leader)) }
        guard leadTransferee == nil else { return .failure(.transferring) }
        let entry = appendAsLeader(kind: .command, data: data)
        if broadcast { broadcastAppend() } else { appendsPending = true }
        return .success((entry.index, entry.term))
    }

    /// Offers entries proposed without broadcast to every follower — only while still leader:
    /// a server that stepped down meanwhile must never send its log as if it led.
    public func flushAppends() {
        guard appendsPending else { return }
        appendsPending = false
        guard role == .leader else { return }
        broadcastAppend()
    }

    /// Asks for a linearizable read point; the answer arrives as a ReadState in a later Ready.
    public func readIndex(_ requestID: UInt64) -> Result<Void, ProposeError> {
        guard role == .leader else { return .failure(.notLeader(leader: leader)) }
        if log.term(at: log.commitIndex) != term {
            // Until this term's first entry commits, our commit index may be behind the cluster's.
            readsAwaitingCommit.append(requestID)
            return .success(())
        }
        queueRead(requestID)
        return .success(())
    }

    /// True while a quorum has answered this leader recently enough that no other leader can
    /// have been elected (Consul's default-consistency reads).
    public var hasLeaderLease: Bool {
        guard role == .leader else { return false }
        // Until an entry of this term commits, this leader may not know the latest commit.
        guard log.term(at: log.commitIndex) == term else { return false }
        if configuration.voters.count <= 1 { return configuration.voters.contains(id) }
        var sentTicks: [Int] = []
        for voter in configuration.voters {
            if voter == id { sentTicks.append(ticks); continue }
            guard let pr = progress[voter], let sent = roundSentTick[pr.ackedReadSeq] else { continue }
            sentTicks.append(sent)
        }
        guard sentTicks.count >= configuration.quorum else { return false }
        sentTicks.sort(by: >)
        return ticks - sentTicks[configuration.quorum - 1] < config.leaseTicks
    }

    public var commitIndex: UInt64 { log.commitIndex }
    public var lastIndex: UInt64 { log.lastIndex }
    public var lastTerm: UInt64 { log.lastTerm }
    public var firstIndex: UInt64 { log.firstIndex }
    public var stableIndex: UInt64 { log.stableIndex }
    public func term(at index: UInt64) -> UInt64? { log.term(at: index) }
    public func entries(from: UInt64, to: UInt64) -> [Entry] { log.slice(from: from, to: to, maxCount: Int.max) }

    /// The match index the leader knows for a peer (nil when not leader or unknown peer).
    public func matchIndex(of peer: ServerID) -> UInt64? { role == .leader ? progress[peer]?.match : nil }

    // MARK: Output

    public var hasReady: Bool {
        !outbox.isEmpty || !outboxAfterPersist.isEmpty || !readStates.isEmpty || pendingSnapshot != nil
            || currentHardState != handedOutHardState || log.handedOutIndex < log.lastIndex
            || log.appliedHandedOut < min(log.commitIndex, log.stableIndex) || currentSoftState != handedOutSoftState
    }

    public func ready() -> Ready {
        var rd = Ready()
        let hs = currentHardState
        if hs != handedOutHardState {
            rd.hardState = hs
            handedOutHardState = hs
        }
        if let snapshot = pendingSnapshot {
            rd.snapshot = snapshot
            pendingSnapshot = nil
        }
        rd.entries = log.takeUnstable()
        rd.messages = outbox
        outbox = []
        rd.messagesAfterPersist = outboxAfterPersist
        outboxAfterPersist = []
        rd.committedEntries = log.takeCommitted()
        rd.readStates = readStates
        readStates = []
        let ss = currentSoftState
        if ss != handedOutSoftState {
            rd.softState = ss
            handedOutSoftState = ss
        }
        return rd
    }

    /// The driver made `ready`'s hard state, entries and snapshot durable.
    public func persisted(_ ready: Ready) {
        if let last = ready.entries.last, log.term(at: last.index) == last.term {
            log.stableIndex = max(log.stableIndex, last.index)
        }
        if let s = ready.snapshot { log.stableIndex = max(log.stableIndex, s.index) }
        if role == .leader, var own = progress[id] {
            own.match = log.stableIndex
            progress[id] = own
            maybeCommit()
        }
    }

    /// The driver saved an FSM snapshot covering `snapshot.index` (≤ applied). Keeps it for
    /// lagging followers and drops log entries before `snapshot.index - trailing`.
    public func snapshotTaken(_ snapshot: Snapshot, trailingEntries: UInt64) {
        guard snapshot.index <= log.appliedHandedOut, snapshot.index > (latestSnapshot?.index ?? 0) else { return }
        latestSnapshot = snapshot
        let compactTo = snapshot.index > trailingEntries ? snapshot.index - trailingEntries : 0
        if compactTo > log.snapshotIndex, let t = log.term(at: compactTo) {
            log.compact(through: compactTo, term: t)
            // Keep the newest configuration at or before the new log start as the base.
            if let base = configurations.last(where: { $0.index <= compactTo }) {
                configurations = [(compactTo, base.configuration)] + configurations.filter { $0.index > compactTo }
            }
        }
    }

    var currentHardState: HardState { HardState(term: term, vote: vote) }
    var currentSoftState: SoftState { SoftState(role: role, leader: leader, term: term) }

    func send(_ to: ServerID, _ body: MessageBody, afterPersist: Bool = false, term t: UInt64? = nil) {
        let m = Message(from: id, to: to, term: t ?? term, body: body)
        if afterPersist { outboxAfterPersist.append(m) } else { outbox.append(m) }
    }
}

extension String {
    /// FNV-1a: a hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
