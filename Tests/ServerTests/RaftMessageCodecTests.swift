import TestSupport
import Testing
import Raft
@testable import Server
import Wire

/// One message per body case, with the edge values a codec gets wrong: zero and max integers,
/// both booleans, empty and large blobs, every entry kind, empty and non-ASCII server IDs.
let sampleMessages: [Message] = {
    let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let entries = [
        Entry(index: 1, term: 1, kind: .noop),
        Entry(index: 2, term: 1, kind: .command, data: []),
        Entry(index: 3, term: 2, kind: .command, data: [0, 1, 2, 255]),
        Entry(index: 4, term: 2, kind: .configuration, data: Configuration(voters: ["a", "b"], nonVoters: ["c"]).encoded),
        Entry(index: .max, term: .max, kind: .command, data: big),
    ]
    let bodies: [MessageBody] = [
        .preVote(lastIndex: 0, lastTerm: 0),
        .preVote(lastIndex: .max, lastTerm: 7),
        .preVoteResponse(granted: true),
        .preVoteResponse(granted: false),
        .requestVote(lastIndex: 10, lastTerm: 3, transfer: false),
        .requestVote(lastIndex: .max, lastTerm: .max, transfer: true),
        .requestVoteResponse(granted: true),
        .requestVoteResponse(granted: false),
        .appendEntries(prevIndex: 0, prevTerm: 0, entries: [], commit: 0, readSeq: 0),
        .appendEntries(prevIndex: 5, prevTerm: 2, entries: entries, commit: 3, readSeq: .max),
        .appendEntriesResponse(success: true, matchIndex: 9, conflictTerm: 0, conflictIndex: 0, readSeq: 4),
        .appendEntriesResponse(success: false, matchIndex: 0, conflictTerm: .max, conflictIndex: 17, readSeq: 0),
        .installSnapshot(index: 100, term: 4, configuration: [], offset: 0, chunk: [], done: false),
        .installSnapshot(index: 100, term: 4, configuration: Configuration(voters: ["ß"]).encoded,
                         offset: 256 * 1024, chunk: big, done: true),
        .installSnapshotResponse(index: 100, nextOffset: 262_144, installed: false),
        .installSnapshotResponse(index: .max, nextOffset: .max, installed: true),
        .timeoutNow,
    ]
    let ids: [(String, String)] = [("server-1", "server-2"), ("", ""), ("nœud-ü", "節点-🚀"),
                                   ("8f3e6c1a-0b7d-4e6f-9a2b-1c3d5e7f9a0b", "x")]
    return bodies.enumerated().map { i, body in
        let (from, to) = ids[i % ids.count]
        return Message(from: from, to: to, term: UInt64(i) * 0x0101_0101_0101, body: body)
    }
}()

/// The body's wire tag, as an exhaustive switch: adding a MessageBody case breaks this until
/// the samples (and the codec) cover it.
func wireTag(_ body: MessageBody) -> UInt8 {
    switch body {
    case .preVote: return 1
    case .preVoteResponse: return 2
    case .requestVote: return 3
    case .requestVoteResponse: return 4
    case .appendEntries: return 5
    case .appendEntriesResponse: return 6
    case .installSnapshot: return 7
    case .installSnapshotResponse: return 8
    case .timeoutNow: return 9
    }
}

@Suite struct RaftMessageCodecTests {
    /// Every body case (and every entry kind) survives encode → decode unchanged.
    @Test func everyBodyRoundTrips() throws {
        #expect(Set(sampleMessages.map { wireTag($0.body) }) == Set(1...9))
        for m in sampleMessages {
            let bytes = RaftMessageCodec.encode(m)
            #expect(try RaftMessageCodec.decode(bytes) == m)
        }
        let kinds = sampleMessages.flatMap { m -> [EntryKind] in
            if case .appendEntries(_, _, let entries, _, _) = m.body { return entries.map(\.kind) }
            return []
        }
        #expect(Set(kinds.map(\.rawValue)) == [EntryKind.command.rawValue, EntryKind.noop.rawValue, EntryKind.configuration.rawValue])
    }

    /// The layout in docs/rpc.md, byte for byte, so a change to it is a visible test failure.
    @Test func goldenBytes() {
        let vote = Message(from: "a", to: "bc", term: 2, body: .requestVote(lastIndex: 5, lastTerm: 1, transfer: true))
        #expect(RaftMessageCodec.encode(vote) == [0, 1, 0x61, 0, 2, 0x62, 0x63, 0, 0, 0, 0, 0, 0, 0, 2, 3,
                                                   0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        let append = Message(from: "", to: "", term: 1, body: .appendEntries(
            prevIndex: 1, prevTerm: 1, entries: [Entry(index: 2, term: 1, kind: .configuration, data: [9])], commit: 1, readSeq: 0))
        #expect(RaftMessageCodec.encode(append) == [0, 0, 0, 0] + u64(1) + [5] + u64(1) + u64(1) + u64(1) + u64(0)
                + [0, 0, 0, 1] + u64(2) + u64(1) + [2] + [0, 0, 0, 1, 9])
        let snap = Message(from: "", to: "", term: 0, body: .installSnapshot(
            index: 3, term: 2, configuration: [7], offset: 4, chunk: [8, 8], done: true))
        #expect(RaftMessageCodec.encode(snap) == [0, 0, 0, 0] + u64(0) + [7] + u64(3) + u64(2) + u64(4) + [1]
                + [0, 0, 0, 1, 7] + [0, 0, 0, 2, 8, 8])
        #expect(RaftMessageCodec.encode(Message(from: "", to: "", term: 0, body: .timeoutNow)) == [0, 0, 0, 0] + u64(0) + [9])
    }

    /// Every strict prefix of every encoding is an error, never a crash or a shorter message.
    @Test func everyTruncationIsAnError() {
        for m in sampleMessages {
            let bytes = RaftMessageCodec.encode(m)
            // The 1 MiB samples: every cut in the header, then a stride through the data.
            let cuts = bytes.count < 4096 ? Array(0..<bytes.count)
                : Array(0..<512) + Array(stride(from: 512, to: bytes.count, by: 4093)) + [bytes.count - 1]
            for cut in cuts {
                #expect(throws: RPCDecodeError.self) { try RaftMessageCodec.decode(Array(bytes[..<cut])) }
            }
        }
    }

    /// Malformed fields are refused with an error that names what was wrong.
    @Test func malformedInputErrors() {
        let header: [UInt8] = [0, 1, 0x61, 0, 1, 0x62] + u64(1)
        #expect(throws: RPCDecodeError.unknownTag(field: "raft body", value: 0)) { try RaftMessageCodec.decode(header + [0]) }
        #expect(throws: RPCDecodeError.unknownTag(field: "raft body", value: 10)) { try RaftMessageCodec.decode(header + [10]) }
        #expect(throws: RPCDecodeError.badBool(field: "preVoteResponse granted", value: 2)) {
            try RaftMessageCodec.decode(header + [2, 2])
        }
        #expect(throws: RPCDecodeError.trailingBytes(field: "raft message", count: 1)) {
            try RaftMessageCodec.decode(header + [9, 0])
        }
        #expect(throws: RPCDecodeError.invalidUTF8(field: "raft from")) {
            try RaftMessageCodec.decode([0, 2, 0xC3, 0x28, 0, 0] + u64(1) + [9])
        }
        let appendHead = header + [5] + u64(0) + u64(0) + u64(0) + u64(0)
        #expect(throws: RPCDecodeError.unknownEntryKind(3)) {
            try RaftMessageCodec.decode(appendHead + [0, 0, 0, 1] + u64(1) + u64(1) + [3] + [0, 0, 0, 0])
        }
        // Hostile counts and lengths are refused before anything is allocated for them.
        #expect(throws: RPCDecodeError.self) { try RaftMessageCodec.decode(appendHead + [0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: RPCDecodeError.self) {
            try RaftMessageCodec.decode(appendHead + [0, 0, 0, 1] + u64(1) + u64(1) + [0] + [0xFF, 0xFF, 0xFF, 0xFF])
        }
        #expect(throws: RPCDecodeError.self) {
            try RaftMessageCodec.decode(header + [7] + u64(1) + u64(1) + u64(0) + [0] + [0xFF, 0xFF, 0xFF, 0xF0])
        }
        #expect(throws: RPCDecodeError.self) { try RaftMessageCodec.decode([0xFF, 0xFF]) }
        #expect(throws: RPCDecodeError.self) { try RaftMessageCodec.decode([]) }
    }

    /// Random bytes never crash the decoder; and the encoding is canonical, so whatever does
    /// decode re-encodes to the very same bytes.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5eed_0001)
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = randomBytes(Int.random(in: 0...80, using: &rng), &rng)
            if let m = try? RaftMessageCodec.decode(bytes) {
                decoded += 1
                #expect(RaftMessageCodec.encode(m) == bytes)
            }
        }
        // Mutations of valid encodings reach far deeper than pure noise.
        let small = sampleMessages.map(RaftMessageCodec.encode).filter { $0.count < 4096 }
        for _ in 0..<20_000 {
            var bytes = small[Int.random(in: 0..<small.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let m = try? RaftMessageCodec.decode(bytes) {
                decoded += 1
                #expect(RaftMessageCodec.encode(m) == bytes)
            }
        }
        #expect(decoded > 0)
    }
}

func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) } }
