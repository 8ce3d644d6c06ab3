import ConsulState
import Metrics
import Platform
import Raft

/// Why a proposal or read did not complete.
public enum RaftNodeError: Error, Equatable, Sendable {
    case notLeader(leader: ServerID?)
    /// Leadership changed before the entry committed; it may or may not have been applied.
    case leadershipLost
    case storage(String)
    case rejected(String)
}

/// Drives one Raft core against Platform protocols: ticks from the clock, persistence through
/// RaftStorage before anything that depends on it is sent, committed entries applied to the
/// StateStore, proposals and ReadIndex reads completed when their entries apply.
/// Loop-confined; the same code runs live (libuv) and in the simulation.
public final class RaftNode {
    public let raft: Raft
    public let store: StateStore
    private let storage: RaftStorage
    private let transport: RaftTransport
    private let clock: EventLoopClock
    private let tickNanoseconds: UInt64
    private var tickTimer: TimerHandle?
    private var stopped = false
    /// Proposals waiting for their entry to apply: index → (term, completion).
    /// With when each was proposed (0 without metrics) and the write timer (`kvs.apply`, …) to
    /// observe when it applies.
    private var proposals: [UInt64: (term: UInt64, proposedAt: UInt64, timer: Metric?, completion: (Result<CommandResult, RaftNodeError>) -> Void)] = [:]
    private var reads: [UInt64: (Result<Void, RaftNodeError>) -> Void] = [:]
    private var readsReady: [(index: UInt64, completion: (Result<Void, RaftNodeError>) -> Void)] = []
    private var applyWaiters: [(index: UInt64, completion: () -> Void)] = []
    private var nextReadID: UInt64 = 1
    /// Per write in flight (oldest first): messages to send once it is durable. A Ready with
    /// nothing to persist still waits behind earlier writes, since its messages may promise
    /// entries those writes carry.
    private var afterPersistQueue: [[Message]] = []
    private var processing = false
    private var pendingProcess = false
    private var flushScheduled = false
    public private(set) var appliedIndex: UInt64 = 0
    /// Called after each committed command applies (simulation checkers, metrics).
    public var onApply: ((Entry, CommandResult?) -> Void)?
    /// Called when the role or leader changes.
    public var onSoftState: ((SoftState) -> Void)?
    /// A command was proposed here as the entry at (index, term).
    public var onPropose: ((UInt64, UInt64) -> Void)?
    /// The state was replaced by a snapshot from the leader, up to this index.
    public var onRestore: ((UInt64) -> Void)?
    /// Fatal storage failure: the server must stop rather than continue without durability.
    public var onFatal: ((String) -> Void)?
    /// A committed command that does not decode (index, reason): skipped on every replica alike.
    public var onApplyError: ((UInt64, String) -> Void)?
    /// Take an FSM snapshot after this many applied entries (0 = never).
    public var snapshotThreshold: UInt64 = 16384
    /// Entries kept in the log behind a snapshot for slightly-lagging followers.
    public var trailingEntries: UInt64 = 10240
    public var snapshotStore: SnapshotStore?
    private var lastSnapshotIndex: UInt64 = 0
    private var snapshotInFlight = false
    /// Raft's metrics (docs/metrics.md); nil: not measured (the simulation).
    public var metrics: RaftMetrics?
    /// The role last reported, so each change counts once in `raft.state.*`.
    private var lastRole: Role?
    /// Leader snapshots being saved; log writes wait behind them (see `handle`).
    private var installing = 0
    private var writesAwaitingInstall: [() -> Void] = []

    public init(raft: Raft, store: StateStore, storage: RaftStorage, transport: RaftTransport, clock: EventLoopClock,
                tickNanoseconds: UInt64) {
        self.raft = raft
        self.store = store
        self.storage = storage
        self.transport = transport
        self.clock = clock
        self.tickNanoseconds = tickNanoseconds
        appliedIndex = raft.firstIndex - 1
    }

    public func start() {
        // A lone voter has nobody to wait for or disrupt: lead at once instead of after a timeout.
        if raft.configuration.voters == [raft.id] && raft.role != .leader { raft.campaignNow() }
        scheduleTick()
        process()
    }

    /// `-bootstrap-expect` reached: found the cluster with these servers (same on every one).
    @discardableResult
    public func bootstrap(_ founding: Configuration) -> Bool {
        guard raft.bootstrap(founding) else { return false }
        if founding.voters == [raft.id] { raft.campaignNow() }
        process()
        return true
    }

    /// A leader has applied an entry of its own term, hence everything committed before it was
    /// elected (replica-local state such as lock-delays is then current).
    public var hasAppliedOwnTerm: Bool { raft.term(at: appliedIndex) == raft.term }

    /// Runs `completion` once entries up to `index` have been applied here (a follower serving
    /// a read at the leader's read index).
    public func whenApplied(_ index: UInt64, _ completion: @escaping () -> Void) {
        if appliedIndex >= index || stopped { return completion() }
        applyWaiters.append((index, completion))
    }

    public func stop() {
        stopped = true
        tickTimer?.cancel()
        tickTimer = nil
        failAll(.leadershipLost)
    }

    private func scheduleTick() {
        tickTimer = clock.schedule(after: tickNanoseconds) { [weak self] in
            guard let self, !self.stopped else { return }
            self.raft.tick()
            self.process()
            self.scheduleTick()
        }
    }

    // MARK: Inputs

    public func receive(_ message: Message) {
        guard !stopped else { return }
        raft.step(message)
        let now = clock.now
        if raft.role == .leader {
            metrics?.replication.received(message, at: now.nanoseconds)
            peerContact[message.from] = now
        } else if message.from == raft.leader, message.term == raft.term {
            leaderContact = now
        }
        process()
    }

    /// When this follower last heard from its leader (nil: never since start).
    public private(set) var leaderContact: Instant?
    /// On a leader, when each peer last answered.
    public private(set) var peerContact: [ServerID: Instant] = [:]

    /// Milliseconds since the leader was last heard from: 0 on the leader, nil when never.
    public var lastContactMilliseconds: UInt64? {
        if raft.role == .leader { return 0 }
        guard let leaderContact else { return nil }
        return (clock.now.nanoseconds &- leaderContact.nanoseconds) / 1_000_000
    }

    public func propose(_ command: Command, completion: @escaping (Result<CommandResult, RaftNodeError>) -> Void) {
        propose(encoded: command.encoded, completion: completion)
    }

    /// Proposes a command already encoded (the bytes become the entry's, no copy).
    public func propose(encoded: [UInt8], timer: Metric? = nil, completion: @escaping (Result<CommandResult, RaftNodeError>) -> Void) {
        guard !stopped else { return completion(.failure(.leadershipLost)) }
        switch raft.propose(encoded, broadcast: false) {
        case .success(let (index, term)):
            var proposedAt: UInt64 = 0
            if let metrics {
                metrics.apply.increment()
                proposedAt = clock.now.nanoseconds
            }
            proposals[index] = (term, proposedAt, timer, completion)
            onPropose?(index, term)
            scheduleFlush()
        case .failure(.notLeader(let leader)):
            completion(.failure(.notLeader(leader: leader)))
        case .failure(let other):
            completion(.failure(.rejected("\(other)")))
        }
    }

    /// Proposals made during one loop turn go out together on the next: one append message per
    /// follower and one storage batch for the lot (what makes writes under load cheap).
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        clock.schedule(after: 0) { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            guard !self.stopped else { return }
            self.raft.flushAppends()
            self.process()
        }
    }

    /// Completes once a read at this moment would be linearizable: after a ReadIndex round,
    /// when the applied index has reached the read index.
    public func linearizableRead(_ completion: @escaping (Result<Void, RaftNodeError>) -> Void) {
        guard !stopped else { return completion(.failure(.leadershipLost)) }
        let id = nextReadID
        nextReadID += 1
        switch raft.readIndex(id) {
        case .success:
            reads[id] = completion
            process()
        case .failure(.notLeader(let leader)):
            completion(.failure(.notLeader(leader: leader)))
        case .failure(let other):
            completion(.failure(.rejected("\(other)")))
        }
    }

    // MARK: The Ready loop

    /// Drains the core's output: send, persist, then (on durability) send the rest and apply.
    public func process() {
        if processing { pendingProcess = true; return }
        processing = true
        defer { processing = false }
        repeat {
            pendingProcess = false
            while !stopped && raft.hasReady {
                handle(raft.ready())
            }
        } while pendingProcess && !stopped
    }

    private func handle(_ rd: Ready) {
        if let soft = rd.softState {
            if soft.role != .leader { failAll(.leadershipLost, keepReads: false) }
            if let metrics, soft.role != lastRole {
                metrics.replication.reset()
                switch soft.role {
                case .leader: metrics.stateLeader.increment()
                case .candidate: metrics.stateCandidate.increment()
                default: metrics.stateFollower.increment()
                }
            }
            lastRole = soft.role
            onSoftState?(soft)
        }
        if let metrics, !rd.messages.isEmpty {
            let now = clock.now.nanoseconds
            for m in rd.messages { metrics.replication.sent(m, at: now) }
        }
        for m in rd.messages { transport.send(m) }
        if let snapshot = rd.snapshot {
            // A snapshot from the leader replaces our whole log. Order on disk: the snapshot is
            // durable, then the log is dropped, then this Ready's batch (and every later one) is
            // written and acknowledged — a crash in between leaves either the old log or the
            // snapshot, never neither.
            installing += 1
            let meta = SnapshotMeta(index: snapshot.index, term: snapshot.term,
                                    configuration: snapshot.configuration.encoded, size: UInt64(snapshot.data.count))
            let snapshots = snapshotStore ?? MemorySnapshotStore()
            snapshots.save(meta, data: snapshot.data) { [weak self] result in
                guard let self, !self.stopped else { return }
                if case .failure(let error) = result {
                    self.onFatal?("saving the leader's snapshot: \(error)")
                    return self.stop()
                }
                self.storage.compact(through: UInt64(Int64.max)) { [weak self] result in
                    if case .failure(let error) = result { self?.onFatal?("raft storage: dropping the log for a snapshot: \(error)") }
                }
                self.installing -= 1
                if self.installing == 0 {
                    let writes = self.writesAwaitingInstall
                    self.writesAwaitingInstall = []
                    for write in writes { write() }
                }
            }
            lastSnapshotIndex = snapshot.index
            do { try self.store.restore(snapshot.data) } catch {
                onFatal?("snapshot from leader does not decode: \(error)")
                stop()
                return
            }
            appliedIndex = snapshot.index
            onRestore?(snapshot.index)
        }
        if rd.needsPersist {
            var batch = RaftWriteBatch()
            if let hs = rd.hardState { batch.hardState = StoredHardState(term: hs.term, vote: hs.vote ?? "") }
            batch.entries = rd.entries.map { StoredEntry(index: $0.index, term: $0.term, kind: $0.kind.rawValue, data: $0.data) }
            afterPersistQueue.append(rd.messagesAfterPersist)
            let leaderEntries = raft.role == .leader && !batch.entries.isEmpty
            let write = { [weak self] in
                guard let self, !self.stopped else { return }
                let started = self.clock.now.nanoseconds
                self.storage.write(batch) { [weak self] result in
                    guard let self, !self.stopped else { return }
                    if leaderEntries { self.metrics?.leaderDispatchLog.observe(nanoseconds: self.clock.now.nanoseconds &- started) }
                    let after = self.afterPersistQueue.removeFirst()
                    switch result {
                    case .success:
                        self.raft.persisted(rd)
                        for m in after { self.transport.send(m) }
                        self.process()
                    case .failure(let error):
                        self.onFatal?("raft storage: \(error)")
                        self.stop()
                    }
                }
            }
            // Writes keep their order: while a leader's snapshot is not yet durable, they wait.
            if installing > 0 { writesAwaitingInstall.append(write) } else { write() }
        } else if !afterPersistQueue.isEmpty {
            afterPersistQueue[afterPersistQueue.count - 1] += rd.messagesAfterPersist
        } else {
            for m in rd.messagesAfterPersist { transport.send(m) }
        }
        apply(rd.committedEntries)
        maybeSnapshot()
        for state in rd.readStates {
            if let completion = reads.removeValue(forKey: state.requestID) {
                readsReady.append((state.index, completion))
            }
        }
        releaseReads()
        if !raft.hasPendingReads && raft.role != .leader { failReads() }
    }

    private func apply(_ entries: [Entry]) {
        let metrics = self.metrics  // read once: each read of a class `var` is an exclusivity check
        if let metrics, !entries.isEmpty { metrics.commitNumLogs.set(Double(entries.count)) }
        for entry in entries where entry.index > appliedIndex {
            var result: CommandResult?
            let pending = proposals.removeValue(forKey: entry.index)
            // One clock reading serves commitTime (proposal → here) and fsm.apply's start.
            let started = metrics == nil ? 0 : clock.now.nanoseconds
            if let metrics, let pending, pending.proposedAt != 0 {
                metrics.commitTime.observe(nanoseconds: started &- pending.proposedAt)
            }
            if entry.kind == .command {
                defer {
                    if let metrics {
                        let now = clock.now.nanoseconds
                        metrics.fsmApply.observe(nanoseconds: now &- started)
                        if let pending, let timer = pending.timer, pending.proposedAt != 0 { timer.observe(nanoseconds: now &- pending.proposedAt) }
                    }
                }
                do { result = try store.apply(encoded: entry.data, at: entry.index) } catch {
                    // Every replica fails the same entry alike; the index still advances so
                    // they stay in step, and the operator hears about it.
                    store.skip(to: entry.index)
                    onApplyError?(entry.index, "\(error)")
                }
            } else {
                store.skip(to: entry.index)
            }
            appliedIndex = entry.index
            if let pending {
                if pending.term == entry.term, let result {
                    pending.completion(.success(result))
                } else {
                    pending.completion(.failure(.leadershipLost))
                }
            }
            onApply?(entry, result)
        }
    }

    /// Snapshots the FSM when enough entries applied since the last one, saves it durably,
    /// then lets the core and the log storage drop what it covers.
    private func maybeSnapshot() {
        guard let snapshotStore, snapshotThreshold > 0, !snapshotInFlight,
              appliedIndex >= lastSnapshotIndex + snapshotThreshold,
              let term = raft.term(at: appliedIndex) else { return }
        let index = appliedIndex
        let started = clock.now.nanoseconds
        let snapshot = Snapshot(index: index, term: term, configuration: raft.configuration, data: store.snapshot())
        let encoded = clock.now.nanoseconds
        metrics?.snapshotCreate.observe(nanoseconds: encoded &- started)
        snapshotInFlight = true
        let meta = SnapshotMeta(index: index, term: term, configuration: snapshot.configuration.encoded,
                                size: UInt64(snapshot.data.count))
        snapshotStore.save(meta, data: snapshot.data) { [weak self] result in
            guard let self, !self.stopped else { return }
            self.snapshotInFlight = false
            switch result {
            case .success:
                let now = self.clock.now.nanoseconds
                self.metrics?.snapshotPersist.observe(nanoseconds: now &- encoded)
                self.metrics?.snapshotTake.observe(nanoseconds: now &- started)
                self.lastSnapshotIndex = index
                self.raft.snapshotTaken(snapshot, trailingEntries: self.trailingEntries)
                let compactTo = self.raft.firstIndex - 1
                if compactTo > 0 {
                    self.storage.compact(through: compactTo) { [weak self] result in
                        if case .failure(let error) = result { self?.onFatal?("raft storage: compaction: \(error)") }
                    }
                }
            case .failure(let error):
                self.onFatal?("snapshot: \(error)")
            }
        }
    }

    private func releaseReads() {
        if !applyWaiters.isEmpty {
            let due = applyWaiters.filter { $0.index <= appliedIndex }
            applyWaiters.removeAll { $0.index <= appliedIndex }
            for waiter in due { waiter.completion() }
        }
        guard !readsReady.isEmpty else { return }
        let ready = readsReady.filter { $0.index <= appliedIndex }
        readsReady.removeAll { $0.index <= appliedIndex }
        for r in ready { r.completion(.success(())) }
    }

    private func failReads() {
        let pending = reads
        reads = [:]
        for (_, completion) in pending { completion(.failure(.leadershipLost)) }
    }

    private func failAll(_ error: RaftNodeError, keepReads: Bool = false) {
        let pending = proposals
        proposals = [:]
        for (_, p) in pending { p.completion(.failure(error)) }
        if !keepReads { failReads() }
    }
}
