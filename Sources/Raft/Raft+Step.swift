/// Message handling: the term rules first (§5.1), then each message by role.
extension Raft {
    public func step(_ m: Message) {
        guard m.to == id else { return }
        if m.term > term {
            switch m.body {
            case .preVote:
                break // a pre-vote never changes our term
            case .preVoteResponse(let granted) where granted:
                break // granted pre-votes carry the proposed term
            case .requestVote(_, _, let transfer):
                // Leader stickiness: while we hear from a live leader, ignore disruptive candidates.
                if !transfer && inLease { return }
                becomeFollower(term: m.term, leader: nil)
            default:
                let knownLeader: ServerID?
                switch m.body {
                case .appendEntries, .installSnapshot, .timeoutNow: knownLeader = m.from
                default: knownLeader = nil
                }
                becomeFollower(term: m.term, leader: knownLeader)
            }
        } else if m.term < term {
            switch m.body {
            case .appendEntries, .installSnapshot:
                // Tell a stale leader about the newer term so it steps down.
                send(m.from, .appendEntriesResponse(success: false, matchIndex: 0, conflictTerm: 0, conflictIndex: 0, readSeq: 0))
            case .preVote:
                send(m.from, .preVoteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch m.body {
        case let .preVote(lastIndex, lastTerm):
            let grant = m.term > term && !inLease && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
            send(m.from, .preVoteResponse(granted: grant), term: grant ? m.term : term)
        case let .requestVote(lastIndex, lastTerm, _):
            let canVote = vote == nil || vote == m.from
            let grant = canVote && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
            if grant {
                vote = m.from
                electionElapsed = 0
            }
            // The vote must be durable before the candidate may count it.
            send(m.from, .requestVoteResponse(granted: grant), afterPersist: true)
        case .preVoteResponse(let granted):
            guard role == .preCandidate else { return }
            countVote(from: m.from, granted: granted) { self.campaign(preVote: false, transfer: false) }
        case .requestVoteResponse(let granted):
            guard role == .candidate else { return }
            countVote(from: m.from, granted: granted) { self.becomeLeader() }
        case let .appendEntries(prevIndex, prevTerm, entries, commit, readSeq):
            if role != .follower { becomeFollower(term: term, leader: m.from) }
            leader = m.from
            electionElapsed = 0
            handleAppend(from: m.from, prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit, readSeq: readSeq)
        case let .installSnapshot(index, snapTerm, configurationBytes, offset, chunk, done):
            if role != .follower { becomeFollower(term: term, leader: m.from) }
            leader = m.from
            electionElapsed = 0
            handleSnapshotChunk(from: m.from, index: index, term: snapTerm, configuration: configurationBytes,
                                offset: offset, chunk: chunk, done: done)
        case .appendEntriesResponse, .installSnapshotResponse:
            guard role == .leader else { return }
            handleLeaderResponse(m)
        case .timeoutNow:
            // The leader hands over: campaign at once, skipping pre-vote.
            if configuration.voters.contains(id) { campaign(preVote: false, transfer: true) }
        }
    }

    /// Heard from a leader within the minimum election timeout.
    var inLease: Bool { checkQuorumEnabled && leader != nil && electionElapsed < config.electionTicks }
    private var checkQuorumEnabled: Bool { config.checkQuorum || config.preVote }

    // MARK: Elections

    func tickElection() {
        electionElapsed += 1
        guard electionElapsed >= randomizedElectionTicks else { return }
        electionElapsed = 0
        guard configuration.voters.contains(id) else { return }
        campaign(preVote: config.preVote, transfer: false)
    }

    func resetRandomizedElectionTimeout() {
        randomizedElectionTicks = config.electionTicks + random.next(below: config.electionTicks)
    }

    func campaign(preVote: Bool, transfer: Bool) {
        let candidateTerm: UInt64
        if preVote {
            role = .preCandidate
            leader = nil
            candidateTerm = term + 1
        } else {
            becomeCandidate()
            candidateTerm = term
        }
        votes = [id: true]
        resetRandomizedElectionTimeout()
        if hasQuorum(votes) {
            if preVote { campaign(preVote: false, transfer: transfer) } else { becomeLeader() }
            return
        }
        for peer in configuration.voters.sorted() where peer != id {
            if preVote {
                send(peer, .preVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm), term: candidateTerm)
            } else {
                send(peer, .requestVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm, transfer: transfer), afterPersist: true)
            }
        }
    }

    private func countVote(from peer: ServerID, granted: Bool, onWin: () -> Void) {
        guard configuration.voters.contains(peer) else { return }
        votes[peer] = granted
        if hasQuorum(votes) {
            onWin()
        } else if votes.values.filter({ !$0 }).count >= configuration.quorum {
            becomeFollower(term: term, leader: nil)
        }
    }

    func hasQuorum(_ votes: [ServerID: Bool]) -> Bool {
        votes.filter { $0.value && configuration.voters.contains($0.key) }.count >= configuration.quorum
    }

    func becomeFollower(term newTerm: UInt64, leader newLeader: ServerID?) {
        if newTerm > term {
            term = newTerm
            vote = nil
        }
        role = .follower
        leader = newLeader
        electionElapsed = 0
        heartbeatElapsed = 0
        leadTransferee = nil
        progress = [:]
        abandonReads()
        resetRandomizedElectionTimeout()
    }

    private func becomeCandidate() {
        term += 1
        vote = id
        role = .candidate
        leader = nil
        electionElapsed = 0
    }

    // MARK: Follower side of replication

    private func handleAppend(from leaderID: ServerID, prevIndex: UInt64, prevTerm: UInt64, entries: [Entry],
                              commit: UInt64, readSeq: UInt64) {
        if prevIndex < log.snapshotIndex {
            // Everything up to our snapshot is committed and therefore identical on the leader.
            let usable = entries.filter { $0.index > log.snapshotIndex }
            if usable.isEmpty || usable.first!.index == log.snapshotIndex + 1 {
                acceptAppend(from: leaderID, prevIndex: log.snapshotIndex, entries: usable, commit: commit, readSeq: readSeq)
            } else {
                send(leaderID, .appendEntriesResponse(success: true, matchIndex: log.snapshotIndex, conflictTerm: 0,
                                                      conflictIndex: 0, readSeq: readSeq), afterPersist: true)
            }
            return
        }
        guard let ourTerm = log.term(at: prevIndex), ourTerm == prevTerm else {
            let conflictTerm: UInt64, conflictIndex: UInt64
            if prevIndex > log.lastIndex {
                conflictTerm = 0
                conflictIndex = log.lastIndex + 1
            } else {
                conflictTerm = log.term(at: prevIndex) ?? 0
                conflictIndex = log.firstIndex(ofTermAt: prevIndex)
            }
            send(leaderID, .appendEntriesResponse(success: false, matchIndex: 0, conflictTerm: conflictTerm,
                                                  conflictIndex: conflictIndex, readSeq: readSeq))
            return
        }
        acceptAppend(from: leaderID, prevIndex: prevIndex, entries: entries, commit: commit, readSeq: readSeq)
    }

    private func acceptAppend(from leaderID: ServerID, prevIndex: UInt64, entries: [Entry], commit: UInt64, readSeq: UInt64) {
        if let truncatedAt = log.merge(entries) {
            // Configurations take effect when appended, so a truncated one is undone.
            configurations = configurations.enumerated()
                .filter { $0.offset == 0 || $0.element.index < truncatedAt }.map(\.element)
        }
        for e in entries where e.kind == .configuration && e.index > (configurations.last?.index ?? 0) {
            if let c = Configuration(encoded: e.data), log.term(at: e.index) == e.term { configurations.append((e.index, c)) }
        }
        configuration = configurations.last!.configuration
        let lastNew = prevIndex + UInt64(entries.count)
        let newCommit = min(commit, lastNew)
        if newCommit > log.commitIndex { log.commitIndex = newCommit }
        // The match we report must be durable before the leader counts it.
        send(leaderID, .appendEntriesResponse(success: true, matchIndex: lastNew, conflictTerm: 0, conflictIndex: 0,
                                              readSeq: readSeq), afterPersist: true)
    }

    private func handleSnapshotChunk(from leaderID: ServerID, index: UInt64, term snapTerm: UInt64, configuration bytes: [UInt8],
                                     offset: UInt64, chunk: [UInt8], done: Bool) {
        if index <= log.commitIndex {
            // We already have everything it covers.
            incomingSnapshot = nil
            send(leaderID, .installSnapshotResponse(index: index, nextOffset: 0, installed: true))
            return
        }
        if incomingSnapshot?.index != index || incomingSnapshot?.term != snapTerm {
            incomingSnapshot = offset == 0 ? (index, snapTerm, bytes, []) : nil
        }
        guard var incoming = incomingSnapshot, UInt64(incoming.data.count) == offset else {
            send(leaderID, .installSnapshotResponse(index: index, nextOffset: UInt64(incomingSnapshot?.data.count ?? 0), installed: false))
            return
        }
        incoming.data += chunk
        incomingSnapshot = incoming
        guard done else {
            send(leaderID, .installSnapshotResponse(index: index, nextOffset: UInt64(incoming.data.count), installed: false))
            return
        }
        guard let conf = Configuration(encoded: incoming.configuration) else { incomingSnapshot = nil; return }
        let snapshot = Snapshot(index: index, term: snapTerm, configuration: conf, data: incoming.data)
        incomingSnapshot = nil
        log.restore(snapshotIndex: index, term: snapTerm)
        latestSnapshot = snapshot
        configurations = [(index, conf)]
        configuration = conf
        pendingSnapshot = snapshot
        send(leaderID, .installSnapshotResponse(index: index, nextOffset: 0, installed: true), afterPersist: true)
    }
}
