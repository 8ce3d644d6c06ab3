@testable import Raft

/// Compact, stable text for everything the transcripts show. Notation: `5@t2` is the entry (or
/// log position) at index 5 with term 2; `(v=1,2,3 nv=4)` is a configuration.
enum Describe {
    /// Numeric ids sort as numbers ("2" before "10").
    static func idOrder(_ a: ServerID, _ b: ServerID) -> Bool {
        (Int(a) ?? Int.max, a) < (Int(b) ?? Int.max, b)
    }

    static func ids<S: Sequence>(_ set: S) -> String where S.Element == ServerID {
        set.sorted(by: idOrder).joined(separator: ",")
    }

    static func configuration(_ c: Configuration) -> String {
        c.nonVoters.isEmpty ? "(v=\(ids(c.voters)))" : "(v=\(ids(c.voters)) nv=\(ids(c.nonVoters)))"
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func entry(_ e: Entry) -> String {
        let pos = "\(e.index)@t\(e.term)"
        switch e.kind {
        case .command: return "\(pos) \"\(text(e.data))\""
        case .noop: return "\(pos) noop"
        case .configuration:
            guard let c = Configuration(encoded: e.data) else { return "\(pos) conf<undecodable>" }
            return "\(pos) conf\(configuration(c))"
        }
    }

    static func entries(_ es: [Entry]) -> String { es.map(entry).joined(separator: ", ") }

    static func snapshot(_ s: Snapshot) -> String {
        "\(s.index)@t\(s.term) conf\(configuration(s.configuration)) data=\"\(text(s.data))\""
    }

    /// The message type word used in transcripts and in `type=` filters.
    static func type(_ body: MessageBody) -> String {
        switch body {
        case .preVote: return "PreVote"
        case .preVoteResponse: return "PreVoteResp"
        case .requestVote: return "Vote"
        case .requestVoteResponse: return "VoteResp"
        case .appendEntries: return "App"
        case .appendEntriesResponse: return "AppResp"
        case .installSnapshot: return "Snap"
        case .installSnapshotResponse: return "SnapResp"
        case .timeoutNow: return "TimeoutNow"
        }
    }

    static func message(_ m: Message) -> String {
        var s = "\(m.from)->\(m.to) \(type(m.body)) term=\(m.term)"
        switch m.body {
        case let .preVote(lastIndex, lastTerm):
            s += " last=\(lastIndex)@t\(lastTerm)"
        case let .preVoteResponse(granted), let .requestVoteResponse(granted):
            s += granted ? " granted" : " rejected"
        case let .requestVote(lastIndex, lastTerm, transfer):
            s += " last=\(lastIndex)@t\(lastTerm)" + (transfer ? " transfer" : "")
        case let .appendEntries(prevIndex, prevTerm, entries, commit, readSeq):
            s += " prev=\(prevIndex)@t\(prevTerm) commit=\(commit)"
            if !entries.isEmpty { s += " entries=[\(self.entries(entries))]" }
            if readSeq > 0 { s += " read=\(readSeq)" }
        case let .appendEntriesResponse(success, matchIndex, conflictTerm, conflictIndex, readSeq):
            if success {
                s += " ok match=\(matchIndex)"
            } else if conflictIndex == 0 && conflictTerm == 0 {
                s += " reject"
            } else {
                s += " reject hint-index=\(conflictIndex) hint-term=\(conflictTerm)"
            }
            if readSeq > 0 { s += " read=\(readSeq)" }
        case let .installSnapshot(index, term, configurationBytes, offset, chunk, done):
            let conf = Configuration(encoded: configurationBytes).map(configuration) ?? "<undecodable>"
            s += " snap=\(index)@t\(term) conf\(conf) offset=\(offset) chunk=\"\(text(chunk))\"" + (done ? " done" : "")
        case let .installSnapshotResponse(index, nextOffset, installed):
            s += " snap=\(index)" + (installed ? " installed" : " next-offset=\(nextOffset)")
        case .timeoutNow:
            break
        }
        return s
    }

    static func role(_ r: Role) -> String {
        switch r {
        case .follower: return "follower"
        case .preCandidate: return "pre-candidate"
        case .candidate: return "candidate"
        case .leader: return "leader"
        }
    }

    static func soft(_ s: SoftState) -> String {
        "\(role(s.role)) term=\(s.term) leader=\(s.leader ?? "none")"
    }

    static func hard(_ h: HardState) -> String {
        "term=\(h.term) vote=\(h.vote ?? "none")"
    }

    static func progressState(_ s: Progress.State) -> String {
        switch s {
        case .probe: return "probe"
        case .replicate: return "replicate"
        case let .snapshot(index, offset): return "snapshot(\(index) offset=\(offset))"
        }
    }
}
