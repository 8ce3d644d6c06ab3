/// The leader: replication (pipelined, with fast back-tracking), commit, heartbeats, check
/// quorum, batched ReadIndex and leadership transfer.
extension Raft {
    func becomeLeader() {
        role = .leader
        leader = id
        electionElapsed = 0
        heartbeatElapsed = 0
        leadTransferee = nil
        progress = [:]
        for member in configuration.members {
            var pr = Progress(next: log.lastIndex + 1)
            pr.recentActive = true
            pr.lastResponseTick = ticks
            progress[member] = pr
        }
        progress[id]?.match = log.stableIndex
        // An entry of our own term lets earlier terms' entries commit (§5.4.2).
        appendAsLeader(kind: .noop, data: [])
        broadcastAppend()
    }

    @discardableResult
    func appendAsLeader(kind: EntryKind, data: [UInt8]) -> Entry {
        let entry = Entry(index: log.lastIndex + 1, term: term, kind: kind, data: data)
        log.append(entry)
        return entry
    }

    func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if leadTransferee != nil {
            transferElapsed += 1
            if transferElapsed >= config.electionTicks { leadTransferee = nil }
        }
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum && !quorumRecentlyActive() {
                // Lease lost: a partitioned leader must stop acting as one.
                becomeFollower(term: term, leader: nil)
                return
            }
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            // Carry the unconfirmed read round, so a round whose heartbeats were lost completes.
            broadcastHeartbeat()
        }
    }

    private func quorumRecentlyActive() -> Bool {
        var active = 0
        for (peer, pr) in progress {
            if peer == id || pr.recentActive {
                if configuration.voters.contains(peer) { active += 1 }
            }
            progress[peer]?.recentActive = false
        }
        return active >= configuration.quorum
    }

    func broadcastAppend() {
        for peer in progress.keys.sorted() where peer != id { sendAppend(to: peer, heartbeat: false) }
        if configuration.voters == [id] || progress.count <= 1 { maybeCommit() }
    }

    /// A new numbered heartbeat round to every follower.
    func broadcastHeartbeat() {
        heartbeatRound += 1
        roundSentTick[heartbeatRound] = ticks
        if heartbeatRound > 256 { roundSentTick[heartbeatRound - 256] = nil }
        for peer in progress.keys.sorted() where peer != id { sendAppend(to: peer, heartbeat: true) }
    }

    /// Sends what `peer` needs next: entries (pipelined), a heartbeat, or the next snapshot chunk.
    func sendAppend(to peer: ServerID, heartbeat: Bool) {
        // Every append carries the newest round: its echo dates from no later than this send.
        let readSeq = heartbeatRound
        guard var pr = progress[peer] else { return }
        if case .snapshot(let index, let offset) = pr.state {
            if heartbeat { sendSnapshotChunk(to: peer, index: index, offset: offset) }
            return
        }
        let prevIndex = pr.next - 1
        guard let prevTerm = log.term(at: prevIndex) else {
            // The entries this follower needs were compacted: stream the snapshot.
            guard let snap = latestSnapshot else { return }
            pr.state = .snapshot(index: snap.index, offset: 0)
            progress[peer] = pr
            sendSnapshotChunk(to: peer, index: snap.index, offset: 0)
            return
        }
        var entries: [Entry] = []
        let canSendEntries: Bool
        switch pr.state {
        case .replicate: canSendEntries = pr.inflight.count < config.inflightMax
        case .probe: canSendEntries = !pr.probeSent || heartbeat
        case .snapshot: canSendEntries = false
        }
        if canSendEntries && pr.next <= log.lastIndex {
            entries = log.slice(from: pr.next, to: log.lastIndex, maxCount: config.entriesPerMessageMax,
                                maxBytes: config.entriesBytesPerMessageMax)
        }
        if entries.isEmpty && !heartbeat { return }
        let commit = min(log.commitIndex, prevIndex + UInt64(entries.count))
        send(peer, .appendEntries(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit, readSeq: readSeq))
        if let last = entries.last {
            switch pr.state {
            case .replicate:
                pr.next = last.index + 1
                pr.inflight.append(last.index)
            case .probe:
                pr.probeSent = true
            case .snapshot:
                break
            }
        } else if case .probe = pr.state {
            pr.probeSent = true
        }
        progress[peer] = pr
    }

    private func sendSnapshotChunk(to peer: ServerID, index: UInt64, offset: UInt64) {
        guard let snap = latestSnapshot, snap.index == index else {
            progress[peer]?.becomeProbe()
            return
        }
        let start = Int(min(offset, UInt64(snap.data.count)))
        let end = min(snap.data.count, start + config.snapshotChunkBytes)
        send(peer, .installSnapshot(index: snap.index, term: snap.term, configuration: snap.configuration.encoded,
                                    offset: UInt64(start), chunk: Array(snap.data[start..<end]), done: end == snap.data.count))
    }

    func handleLeaderResponse(_ m: Message) {
        guard var pr = progress[m.from] else { return }
        pr.recentActive = true
        pr.lastResponseTick = ticks
        switch m.body {
        case let .appendEntriesResponse(success, matchIndex, conflictTerm, conflictIndex, readSeq):
            if readSeq > pr.ackedReadSeq { pr.ackedReadSeq = readSeq }
            if success {
                if matchIndex > pr.match {
                    pr.match = matchIndex
                    pr.acknowledge(through: matchIndex)
                    if case .probe = pr.state { pr.becomeReplicate() }
                    pr.next = max(pr.next, matchIndex + 1)
                } else if case .probe = pr.state {
                    pr.probeSent = false
                    pr.next = max(pr.next, pr.match + 1)
                }
                progress[m.from] = pr
                maybeCommit()
            } else {
                // Ignore rejections of messages older than what is already matched.
                if conflictIndex == 0 && conflictTerm == 0 { progress[m.from] = pr; break }
                var next = conflictIndex
                if conflictTerm != 0, let last = log.lastIndex(ofTerm: conflictTerm) { next = last + 1 }
                next = max(min(next, pr.next > 1 ? pr.next - 1 : 1, log.lastIndex + 1), pr.match + 1)
                pr.next = max(next, 1)
                pr.becomeProbe()
                pr.next = max(next, pr.match + 1)
                progress[m.from] = pr
            }
            checkReadQuorum()
            if leadTransferee == m.from, progress[m.from]?.match == log.lastIndex {
                send(m.from, .timeoutNow)
            }
            if role == .leader { sendAppend(to: m.from, heartbeat: false) }
        case let .installSnapshotResponse(index, nextOffset, installed):
            guard case .snapshot(let sending, _) = pr.state, sending == index else { progress[m.from] = pr; return }
            if installed {
                pr.match = max(pr.match, index)
                pr.next = pr.match + 1
                pr.becomeProbe()
                progress[m.from] = pr
                sendAppend(to: m.from, heartbeat: true)
            } else {
                pr.state = .snapshot(index: index, offset: nextOffset)
                progress[m.from] = pr
                sendSnapshotChunk(to: m.from, index: index, offset: nextOffset)
            }
        default:
            break
        }
    }

    /// Commit the highest index a quorum of voters has durably (the leader counts only what it
    /// persisted itself), if it is from the current term (§5.4.2).
    func maybeCommit() {
        guard role == .leader else { return }
        var matches: [UInt64] = []
        for voter in configuration.voters {
            if voter == id { matches.append(log.stableIndex) } else { matches.append(progress[voter]?.match ?? 0) }
        }
        guard !matches.isEmpty else { return }
        matches.sort(by: >)
        let candidate = matches[configuration.quorum - 1]
        guard candidate > log.commitIndex, log.term(at: candidate) == term else { return }
        log.commitIndex = candidate
        committed()
        // Followers learn the new commit index at once rather than at the next heartbeat.
        if role == .leader { broadcastHeartbeat() }
    }

    /// After the commit index advanced on the leader.
    private func committed() {
        if !readsAwaitingCommit.isEmpty && log.term(at: log.commitIndex) == term {
            let waiting = readsAwaitingCommit
            readsAwaitingCommit = []
            for r in waiting { queueRead(r) }
        }
        // A leader removed from the configuration steps down once that change commits, and hands
        // over to the most caught-up voter so the cluster need not wait out an election timeout.
        if let newest = configurations.last, newest.index <= log.commitIndex, !configuration.voters.contains(id) {
            let successor = configuration.voters.sorted().max { (progress[$0]?.match ?? 0) < (progress[$1]?.match ?? 0) }
            if let successor { send(successor, .timeoutNow) }
            becomeFollower(term: term, leader: nil)
        }
    }

    // MARK: ReadIndex

    func queueRead(_ requestID: UInt64) {
        if configuration.voters == [id] {
            readStates.append(ReadState(requestID: requestID, index: log.commitIndex))
            return
        }
        // Only a round started after this request can confirm leadership for it.
        pendingReads.append((requestID, log.commitIndex, heartbeatRound + 1))
        if readRoundInFlight == nil {
            broadcastHeartbeat()
            readRoundInFlight = heartbeatRound
        }
    }

    /// The newest round a quorum of voters has echoed (this leader counts as echoing all).
    private var quorumEchoedRound: UInt64 {
        var rounds: [UInt64] = []
        for voter in configuration.voters {
            rounds.append(voter == id ? heartbeatRound : (progress[voter]?.ackedReadSeq ?? 0))
        }
        rounds.sort(by: >)
        return rounds.count >= configuration.quorum ? rounds[configuration.quorum - 1] : 0
    }

    /// Releases every read whose confirming round a quorum echoed (one round serves a batch).
    func checkReadQuorum() {
        guard !pendingReads.isEmpty else { readRoundInFlight = nil; return }
        let echoed = quorumEchoedRound
        let ready = pendingReads.filter { $0.seq <= echoed }
        if !ready.isEmpty {
            pendingReads.removeAll { $0.seq <= echoed }
            readStates += ready.map { ReadState(requestID: $0.requestID, index: $0.index) }
        }
        if let inFlight = readRoundInFlight, inFlight > echoed { return }
        readRoundInFlight = nil
        if !pendingReads.isEmpty {
            broadcastHeartbeat()
            readRoundInFlight = heartbeatRound
        }
    }

    func abandonReads() {
        pendingReads = []
        readsAwaitingCommit = []
        readRoundInFlight = nil
    }

    /// Read requests that were dropped because leadership was lost (the driver fails them).
    public var hasPendingReads: Bool { !pendingReads.isEmpty || !readsAwaitingCommit.isEmpty }

    // MARK: Leadership transfer

    /// Hands leadership to `target` once it has caught up (it then campaigns immediately).
    public func transferLeadership(to target: ServerID) -> Result<Void, ProposeError> {
        guard role == .leader else { return .failure(.notLeader(leader: leader)) }
        guard target != id, configuration.voters.contains(target) else {
            return .failure(.invalidChange("\(target) is not a voter"))
        }
        leadTransferee = target
        transferElapsed = 0
        if progress[target]?.match == log.lastIndex {
            send(target, .timeoutNow)
        } else {
            sendAppend(to: target, heartbeat: true)
        }
        return .success(())
    }
}
