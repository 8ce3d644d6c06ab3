import Wire
import Raft

/// The binary form of a `Raft.Message` inside a raft frame (docs/rpc.md, "Raft messages").
///
///     from   u16 length + UTF-8
///     to     u16 length + UTF-8
///     term   u64
///     tag    u8, then the body's fields in declaration order:
///       1 preVote                  lastIndex u64, lastTerm u64
///       2 preVoteResponse          granted u8
///       3 requestVote              lastIndex u64, lastTerm u64, transfer u8
///       4 requestVoteResponse      granted u8
///       5 appendEntries            prevIndex u64, prevTerm u64, commit u64, readSeq u64,
///                                  entries: count u32, each index u64, term u64, kind u8,
///                                  data u32 length + bytes
///       6 appendEntriesResponse    success u8, matchIndex u64, conflictTerm u64,
///                                  conflictIndex u64, readSeq u64
///       7 installSnapshot          index u64, term u64, offset u64, done u8,
///                                  configuration u32 length + bytes, chunk u32 length + bytes
///       8 installSnapshotResponse  index u64, nextOffset u64, installed u8
///       9 timeoutNow               (nothing)
///
/// Integers are big-endian, booleans are 0 or 1. Tags are append-only. Decoding refuses unknown
/// tags and entry kinds, any length longer than what remains, and trailing bytes.
public enum RaftMessageCodec {
    enum Tag: UInt8 {
        case preVote = 1
        case preVoteResponse = 2
        case requestVote = 3
        case requestVoteResponse = 4
        case appendEntries = 5
        case appendEntriesResponse = 6
        case installSnapshot = 7
        case installSnapshotResponse = 8
        case timeoutNow = 9
    }

    /// index + term + kind + data length: the smallest encoded entry.
    static let entryBytesMin = 8 + 8 + 1 + 4

    public static func encode(_ m: Message) -> [UInt8] {
        var w = RPCWriter(capacity: 64 + bodyBytesEstimate(m.body))
        w.shortString(m.from)
        w.shortString(m.to)
        w.u64(m.term)
        switch m.body {
        case .preVote(let lastIndex, let lastTerm):
            w.u8(Tag.preVote.rawValue)
            w.u64(lastIndex)
            w.u64(lastTerm)
        case .preVoteResponse(let granted):
            w.u8(Tag.preVoteResponse.rawValue)
            w.bool(granted)
        case .requestVote(let lastIndex, let lastTerm, let transfer):
            w.u8(Tag.requestVote.rawValue)
            w.u64(lastIndex)
            w.u64(lastTerm)
            w.bool(transfer)
        case .requestVoteResponse(let granted):
            w.u8(Tag.requestVoteResponse.rawValue)
            w.bool(granted)
        case .appendEntries(let prevIndex, let prevTerm, let entries, let commit, let readSeq):
            w.u8(Tag.appendEntries.rawValue)
            w.u64(prevIndex)
            w.u64(prevTerm)
            w.u64(commit)
            w.u64(readSeq)
            precondition(entries.count <= Int(UInt32.max), "rpc: \(entries.count) entries do not fit a u32 count")
            w.u32(UInt32(entries.count))
            for e in entries {
                w.u64(e.index)
                w.u64(e.term)
                w.u8(e.kind.rawValue)
                w.blob(e.data)
            }
        case .appendEntriesResponse(let success, let matchIndex, let conflictTerm, let conflictIndex, let readSeq):
            w.u8(Tag.appendEntriesResponse.rawValue)
            w.bool(success)
            w.u64(matchIndex)
            w.u64(conflictTerm)
            w.u64(conflictIndex)
            w.u64(readSeq)
        case .installSnapshot(let index, let term, let configuration, let offset, let chunk, let done):
            w.u8(Tag.installSnapshot.rawValue)
            w.u64(index)
            w.u64(term)
            w.u64(offset)
            w.bool(done)
            w.blob(configuration)
            w.blob(chunk)
        case .installSnapshotResponse(let index, let nextOffset, let installed):
            w.u8(Tag.installSnapshotResponse.rawValue)
            w.u64(index)
            w.u64(nextOffset)
            w.bool(installed)
        case .timeoutNow:
            w.u8(Tag.timeoutNow.rawValue)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(RPCDecodeError) -> Message {
        var r = RPCReader(bytes)
        let from = try r.shortString("raft from")
        let to = try r.shortString("raft to")
        let term = try r.u64("raft term")
        let rawTag = try r.u8("raft body tag")
        guard let tag = Tag(rawValue: rawTag) else { throw .unknownTag(field: "raft body", value: rawTag) }
        let body: MessageBody
        switch tag {
        case .preVote:
            body = .preVote(lastIndex: try r.u64("preVote lastIndex"), lastTerm: try r.u64("preVote lastTerm"))
        case .preVoteResponse:
            body = .preVoteResponse(granted: try r.bool("preVoteResponse granted"))
        case .requestVote:
            body = .requestVote(lastIndex: try r.u64("requestVote lastIndex"),
                                lastTerm: try r.u64("requestVote lastTerm"),
                                transfer: try r.bool("requestVote transfer"))
        case .requestVoteResponse:
            body = .requestVoteResponse(granted: try r.bool("requestVoteResponse granted"))
        case .appendEntries:
            let prevIndex = try r.u64("appendEntries prevIndex")
            let prevTerm = try r.u64("appendEntries prevTerm")
            let commit = try r.u64("appendEntries commit")
            let readSeq = try r.u64("appendEntries readSeq")
            let count = try r.count("appendEntries entries", itemBytesMin: entryBytesMin)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let index = try r.u64("entry index")
                let entryTerm = try r.u64("entry term")
                let rawKind = try r.u8("entry kind")
                guard let kind = EntryKind(rawValue: rawKind) else { throw .unknownEntryKind(rawKind) }
                entries.append(Entry(index: index, term: entryTerm, kind: kind, data: try r.blob("entry data")))
            }
            body = .appendEntries(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit, readSeq: readSeq)
        case .appendEntriesResponse:
            body = .appendEntriesResponse(success: try r.bool("appendEntriesResponse success"),
                                          matchIndex: try r.u64("appendEntriesResponse matchIndex"),
                                          conflictTerm: try r.u64("appendEntriesResponse conflictTerm"),
                                          conflictIndex: try r.u64("appendEntriesResponse conflictIndex"),
                                          readSeq: try r.u64("appendEntriesResponse readSeq"))
        case .installSnapshot:
            let index = try r.u64("installSnapshot index")
            let snapTerm = try r.u64("installSnapshot term")
            let offset = try r.u64("installSnapshot offset")
            let done = try r.bool("installSnapshot done")
            let configuration = try r.blob("installSnapshot configuration")
            let chunk = try r.blob("installSnapshot chunk")
            body = .installSnapshot(index: index, term: snapTerm, configuration: configuration,
                                    offset: offset, chunk: chunk, done: done)
        case .installSnapshotResponse:
            body = .installSnapshotResponse(index: try r.u64("installSnapshotResponse index"),
                                            nextOffset: try r.u64("installSnapshotResponse nextOffset"),
                                            installed: try r.bool("installSnapshotResponse installed"))
        case .timeoutNow:
            body = .timeoutNow
        }
        try r.finish("raft message")
        return Message(from: from, to: to, term: term, body: body)
    }

    /// Enough capacity that the large bodies encode without regrowing.
    private static func bodyBytesEstimate(_ body: MessageBody) -> Int {
        switch body {
        case .appendEntries(_, _, let entries, _, _):
            return entries.reduce(0) { $0 + entryBytesMin + $1.data.count }
        case .installSnapshot(_, _, let configuration, _, let chunk, _):
            return configuration.count + chunk.count
        default:
            return 0
        }
    }
}
