/// Single-server membership changes (dissertation §4.1): a configuration entry takes effect as
/// soon as it is appended, and a new change waits until the previous one has committed.
extension Raft {
    public func proposeConfigurationChange(_ change: ConfigurationChange) -> Result<(index: UInt64, term: UInt64), ProposeError> {
        guard role == .leader else { return .failure(.notLeader(leader: leader)) }
        guard leadTransferee == nil else { return .failure(.transferring) }
        if let newest = configurations.last, newest.index > log.commitIndex {
            return .failure(.configurationChangePending)
        }
        var next = configuration
        switch change {
        case .addVoter(let s):
            guard !next.voters.contains(s) else { return .failure(.invalidChange("\(s) is already a voter")) }
            next.nonVoters.remove(s)
            next.voters.insert(s)
        case .addNonVoter(let s):
            guard !next.members.contains(s) else { return .failure(.invalidChange("\(s) is already a member")) }
            next.nonVoters.insert(s)
        case .promote(let s):
            guard next.nonVoters.contains(s) else { return .failure(.invalidChange("\(s) is not a non-voter")) }
            next.nonVoters.remove(s)
            next.voters.insert(s)
        case .remove(let s):
            guard next.members.contains(s) else { return .failure(.invalidChange("\(s) is not a member")) }
            next.voters.remove(s)
            next.nonVoters.remove(s)
            guard !next.voters.isEmpty else { return .failure(.invalidChange("cannot remove the last voter")) }
        }
        let entry = appendAsLeader(kind: .configuration, data: next.encoded)
        configurations.append((entry.index, next))
        configuration = next
        for member in next.members where progress[member] == nil {
            var pr = Progress(next: log.lastIndex)
            pr.lastResponseTick = ticks
            pr.recentActive = true
            progress[member] = pr
        }
        for peer in Array(progress.keys) where !next.members.contains(peer) && peer != id { progress[peer] = nil }
        broadcastAppend()
        return .success((entry.index, entry.term))
    }
}
