import TestSupport
import Testing
@testable import Gossip
import Wire

/// The worked examples of gossip-wire.md §11, byte for byte.
@Suite struct MemberlistGoldenTests {
    static let aliveN9 = bytes(hex: "0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a26e39a4506f7274cd611ba356736ea6010502020505")
    static let pingToSerfC = bytes(hex: "0085a44e6f6465a57365726643a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465a26e39aa536f75726365506f7274cd611b")
    /// serfC's ack (§11.2) after decompression: SeqNo 1 and the 130-byte default coordinate.
    static let coordinatePayload = bytes(hex: "0184aa41646a7573746d656e74cb0000000000000000a54572726f72cb3ff8000000000000a6486569676874cb3ee4f8b588e368f1a356656398"
        + String(repeating: "cb0000000000000000", count: 8))
    static let ackFromSerfC = bytes(hex: "0282a75061796c6f6164da0082") + coordinatePayload + bytes(hex: "a55365714e6f01")
    static let pushPullJoin = bytes(hex: "0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656e4c87a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e616d65a26e39a4506f7274cd611ba5537461746500a356736ea60105020205050286aa4576656e744c54696d6501a64576656e747394c0c0c0c0a54c54696d6501ab4c6566744d656d6265727390aa51756572794c54696d6501ac5374617475734c54696d657381a26e3901")

    static let n9Alive = Alive(incarnation: 1, node: "n9", addr: [127, 0, 0, 1], port: 24859, meta: [0xFF, 0x80], vsn: vsnSerfAgent)

    /// §11.1: the minimal alive encodes to exactly the 60 bytes serf accepted, and decodes back.
    @Test func alive() throws {
        #expect(Self.aliveN9.count == 60)
        #expect(MemberlistCodec.encode(.alive(Self.n9Alive)) == Self.aliveN9)
        #expect(try MemberlistCodec.decodePacket(Self.aliveN9) == [.alive(Self.n9Alive)])
    }

    /// §11.2: our ping to serfC, with all three Source* keys.
    @Test func ping() throws {
        let ping = Ping(seqNo: 1, node: "serfC", sourceAddr: [127, 0, 0, 1], sourcePort: 24859, sourceNode: "n9")
        #expect(Self.pingToSerfC.count == 64)
        #expect(MemberlistCodec.encode(.ping(ping)) == Self.pingToSerfC)
        #expect(try MemberlistCodec.decodePacket(Self.pingToSerfC) == [.ping(ping)])
    }

    /// §11.2: serfC's ack carries a 130-byte coordinate payload with the initial coordinate.
    /// (The reference calls the ack 148 bytes; its own annotated layout adds up to 150.)
    @Test func ackWithCoordinate() throws {
        #expect(Self.ackFromSerfC.count == 150)
        let messages = try MemberlistCodec.decodePacket(Self.ackFromSerfC)
        #expect(messages == [.ack(Ack(seqNo: 1, payload: Self.coordinatePayload))])
        let coordinate = try SerfCodec.decodeCoordinatePayload(Self.coordinatePayload)
        #expect(coordinate.vec == [Double](repeating: 0, count: 8))
        #expect(coordinate.error == 1.5)
        #expect(coordinate.adjustment == 0)
        #expect(coordinate.height == 1.0e-5)
        #expect(MemberlistCodec.encode(messages[0]) == Self.ackFromSerfC)
        // Wrapped as serfC sent it (compressed, because that is shorter), it still decodes.
        let wrapped = MemberlistCodec.wrapPacket(Self.ackFromSerfC, compress: true, crc: false)
        #expect(wrapped.first == 0x09 && wrapped.count < Self.ackFromSerfC.count)
        #expect(try MemberlistCodec.decodePacket(wrapped) == messages)
    }

    /// §11.3: serfC's probe decodes; our ack with a nil payload is the 18 bytes serf accepted.
    @Test func probeAndOurAck() throws {
        let probe = bytes(hex: "0085a44e6f6465a26e39a55365714e6f0baa536f7572636541646472a47f000001aa536f757263654e6f6465a57365726643aa536f75726365506f7274cd611c")
        #expect(try MemberlistCodec.decodePacket(probe)
            == [.ping(Ping(seqNo: 11, node: "n9", sourceAddr: [127, 0, 0, 1], sourcePort: 24860, sourceNode: "serfC"))])
        #expect(hexString(MemberlistCodec.encode(.ack(Ack(seqNo: 11, payload: nil)))) == "0282a75061796c6f6164c0a55365714e6f0b")
    }

    /// §11.5: the join push/pull, as a stream message, byte for byte both ways; its serf state too.
    @Test func pushPull() throws {
        #expect(Self.pushPullJoin.count == 171)
        let record = PushNodeState(name: "n9", addr: [127, 0, 0, 1], port: 24859, meta: [0xFF, 0x80], incarnation: 1,
                                   state: .alive, vsn: vsnSerfAgent)
        let serfState = SerfPushPull(ltime: 1, statusLTimes: ["n9": 1], leftMembers: [], eventLTime: 1,
                                     events: [nil, nil, nil, nil], queryLTime: 1)
        let userState = SerfCodec.encode(.pushPull(serfState))
        #expect(userState.count == 76)
        let message = MemberlistMessage.pushPull(PushPull(join: true, nodes: [record], userState: userState))
        #expect(MemberlistCodec.encode(message) == Self.pushPullJoin)
        #expect(MemberlistCodec.encodeStream(message, compress: false) == Self.pushPullJoin)
        let decoded = try MemberlistCodec.decodeStream(Self.pushPullJoin)
        #expect(decoded?.message == message)
        #expect(decoded?.consumed == 171)
        #expect(try SerfCodec.decode(userState) == .pushPull(serfState))
    }

    /// §11.6: dead (graceful leave), indirect ping and a push/pull header with a 2-byte length.
    @Test func otherEncodings() throws {
        let dead = bytes(hex: "0583a446726f6da566616b6532ab496e6361726e6174696f6e01a44e6f6465a566616b6532")
        let deadValue = MemberlistMessage.dead(Dead(incarnation: 1, node: "fake2", from: "fake2"))
        #expect(MemberlistCodec.encode(deadValue) == dead)
        #expect(try MemberlistCodec.decodePacket(dead) == [deadValue])

        let indirect = bytes(hex: "0188a44e61636bc3a44e6f6465a4696e6442a4506f7274cd610ea55365714e6fcd03e9aa536f7572636541646472a47f000001aa536f757263654e6f6465a4696e6441aa536f75726365506f7274cd610da6546172676574a47f000001")
        let indirectValue = MemberlistMessage.indirectPing(IndirectPing(
            seqNo: 1001, target: [127, 0, 0, 1], port: 24846, node: "indB", nack: true,
            sourceAddr: [127, 0, 0, 1], sourcePort: 24845, sourceNode: "indA"))
        #expect(MemberlistCodec.encode(indirectValue) == indirect)
        #expect(try MemberlistCodec.decodePacket(indirect) == [indirectValue])

        let header = bytes(hex: "0683a44a6f696ec3a54e6f64657301ac5573657253746174654c656ecd012c")
        let record = PushNodeState(name: "x", addr: [10, 0, 0, 1], port: 1, meta: nil, incarnation: 1, state: .left, vsn: vsnSerfAgent)
        let encoded = MemberlistCodec.encode(.pushPull(PushPull(join: true, nodes: [record], userState: [UInt8](repeating: 2, count: 300))))
        #expect(Array(encoded.prefix(header.count)) == header)
    }

    /// Optional fields: omitempty Source* disappear when empty; nil Meta and Payload are `c0`.
    @Test func omitEmptyAndNil() throws {
        let bare = MemberlistMessage.ping(Ping(seqNo: 5, node: ""))
        #expect(hexString(MemberlistCodec.encode(bare)) == "0082a44e6f6465a0a55365714e6f05")
        #expect(try MemberlistCodec.decodePacket(MemberlistCodec.encode(bare)) == [bare])
        let emptySource = MemberlistMessage.ping(Ping(seqNo: 5, node: "", sourceAddr: [], sourcePort: 0, sourceNode: ""))
        #expect(MemberlistCodec.encode(emptySource) == MemberlistCodec.encode(bare))
        let alive = Alive(incarnation: 2, node: "a", addr: [1, 2, 3, 4], port: 0, meta: nil, vsn: vsnSerfAgent)
        #expect(hexString(MemberlistCodec.encode(.alive(alive))).contains("a44d657461c0"))
        #expect(try MemberlistCodec.decodePacket(MemberlistCodec.encode(.alive(alive))) == [.alive(alive)])
        let suspect = MemberlistMessage.suspect(Suspect(incarnation: 70000, node: "b", from: "c"))
        #expect(try MemberlistCodec.decodePacket(MemberlistCodec.encode(suspect)) == [suspect])
        let nack = MemberlistMessage.nack(Nack(seqNo: UInt32.max))
        #expect(try MemberlistCodec.decodePacket(MemberlistCodec.encode(nack)) == [nack])
    }

    /// A 40-byte name travels as `da 00 28`, never as str8.
    @Test func fortyByteString() {
        let name = String(repeating: "n", count: 40)
        let encoded = MemberlistCodec.encode(.dead(Dead(incarnation: 0, node: name, from: "")))
        #expect(hexString(encoded).contains("a44e6f6465da0028"))
    }
}

/// What Go tolerates on input, we tolerate too.
@Suite struct MemberlistDecodeLeniencyTests {
    /// Keys in any order, unknown keys skipped, bin for IPs, str8 for strings, missing keys zero.
    @Test func anyKeyOrderUnknownKeysAndBin() throws {
        var w = MsgPackWriter()
        w.bytes.append(0x00)
        w.writeMapHeader(4)
        w.writeString("Extra"); w.writeArrayHeader(2); w.writeNil(); w.writeString("x")
        w.writeString("SourceAddr"); w.bytes += [0xC4, 4, 10, 0, 0, 9]
        w.writeString("SeqNo"); w.bytes += [0xCE, 0, 0, 0, 9]
        w.writeString("Node"); w.bytes += [0xD9, 2] + Array("n1".utf8)
        #expect(try MemberlistCodec.decodePacket(w.bytes) == [.ping(Ping(seqNo: 9, node: "n1", sourceAddr: [10, 0, 0, 9]))])
    }

    /// A field of the wrong type or an overflowing integer is malformed.
    @Test func wrongTypes() {
        var w = MsgPackWriter()
        w.bytes.append(0x02)
        w.writeMapHeader(1)
        w.writeString("SeqNo"); w.writeUInt(1 << 40)
        #expect(throws: GossipCodecError.malformed("ack.SeqNo: 1099511627776 overflows UInt32")) { try MemberlistCodec.decodePacket(w.bytes) }
        #expect(throws: GossipCodecError.self) { try MemberlistCodec.decodePacket([0x04, 0x92, 0x01, 0x02]) }
    }
}

@Suite struct MemberlistWrapperTests {
    static let ping = MemberlistMessage.ping(Ping(seqNo: 77, node: "b", sourceAddr: [10, 0, 0, 1], sourcePort: 8301, sourceNode: "a"))
    static let alive = MemberlistMessage.alive(MemberlistGoldenTests.n9Alive)
    static let user = MemberlistMessage.user([0x01] + bytes(hex: "82a54c54696d6505a44e6f6465a26e39"))

    /// CRC wraps the packet; the receiver verifies and strips it, and a flipped bit is caught.
    @Test func crcRoundTripAndCorruption() throws {
        let plain = MemberlistCodec.encode(Self.alive)
        let packet = MemberlistCodec.wrapPacket(plain, compress: false, crc: true)
        #expect(packet.count == plain.count + 5 && packet[0] == 0x0C)
        #expect(try MemberlistCodec.decodePacket(packet) == [Self.alive])
        var corrupted = packet
        corrupted[20] ^= 0x01
        #expect(throws: GossipCodecError.badChecksum) { try MemberlistCodec.decodePacket(corrupted) }
        var badSum = packet
        badSum[1] ^= 0x80
        #expect(throws: GossipCodecError.badChecksum) { try MemberlistCodec.decodePacket(badSum) }
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket([0x0C, 0, 0]) }
    }

    /// Compression is kept only when strictly shorter; either way the packet decodes the same.
    @Test func compressOnlyWhenShorter() throws {
        let small = MemberlistCodec.encode(Self.ping)
        #expect(MemberlistCodec.wrapPacket(small, compress: true, crc: false) == small)
        let zeros = MemberlistCodec.encode(.ack(Ack(seqNo: 1, payload: [UInt8](repeating: 0, count: 400))))
        let wrapped = MemberlistCodec.wrapPacket(zeros, compress: true, crc: true)
        #expect(wrapped[0] == 0x0C && wrapped[5] == 0x09 && wrapped.count < zeros.count)
        #expect(try MemberlistCodec.decodePacket(wrapped) == [.ack(Ack(seqNo: 1, payload: [UInt8](repeating: 0, count: 400)))])
    }

    /// A compound's parts come back in order, nested wrappers included.
    @Test func compound() throws {
        let inner = MemberlistCodec.compound([MemberlistCodec.encode(Self.alive), MemberlistCodec.encode(Self.user)])
        let packet = MemberlistCodec.compound([MemberlistCodec.encode(Self.ping), inner,
                                               MemberlistCodec.wrapPacket(MemberlistCodec.encode(Self.alive), compress: true, crc: false)])
        #expect(Array(packet.prefix(2)) == [0x07, 0x03])
        #expect(try MemberlistCodec.decodePacket(packet) == [Self.ping, Self.alive, Self.user, Self.alive])
        // Compressing the whole compound works too.
        let compressed = MemberlistCodec.wrapPacket(packet, compress: true, crc: true)
        #expect(try MemberlistCodec.decodePacket(compressed) == [Self.ping, Self.alive, Self.user, Self.alive])
    }

    /// A compound cut short keeps the parts that fit; a cut header loses everything.
    @Test func truncatedCompound() throws {
        let packet = MemberlistCodec.compound([MemberlistCodec.encode(Self.ping), MemberlistCodec.encode(Self.alive),
                                               MemberlistCodec.encode(Self.user)])
        #expect(try MemberlistCodec.decodePacket(Array(packet.dropLast(3))) == [Self.ping, Self.alive])
        let firstPartEnd = 2 + 6 + MemberlistCodec.encode(Self.ping).count
        #expect(try MemberlistCodec.decodePacket(Array(packet.prefix(firstPartEnd + 1))) == [Self.ping])
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket(Array(packet.prefix(5))) }
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket(Array(packet.prefix(10))) }
    }

    /// A bad part costs only itself, as in Go; a packet with nothing good reports why.
    @Test func badPartIsSkipped() throws {
        let packet = MemberlistCodec.compound([[0x63, 0x01], MemberlistCodec.encode(Self.ping), [0x04, 0xC1]])
        #expect(try MemberlistCodec.decodePacket(packet) == [Self.ping])
        #expect(throws: GossipCodecError.unknownType(0x63)) { try MemberlistCodec.decodePacket(MemberlistCodec.compound([[0x63]])) }
        #expect(try MemberlistCodec.decodePacket([0x07, 0x00]) == [])
    }

    /// Types that are not UDP messages are refused with a reason.
    @Test func unsupportedOnUDP() {
        #expect(throws: GossipCodecError.unsupported("push/pull over UDP")) {
            try MemberlistCodec.decodePacket(MemberlistGoldenTests.pushPullJoin)
        }
        #expect(throws: GossipCodecError.unsupported("encrypted")) { try MemberlistCodec.decodePacket([0x0A, 0, 0, 0, 1, 1]) }
        #expect(throws: GossipCodecError.unknownType(0xF4)) { try MemberlistCodec.decodePacket([0xF4, 0x01, 0x61]) }
        #expect(throws: GossipCodecError.unknownType(0x0E)) { try MemberlistCodec.decodePacket([0x0E]) }
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket([]) }
        #expect(throws: GossipCodecError.unsupported("compression algorithm 1")) {
            try MemberlistCodec.decodePacket(bytes(hex: "0982a4416c676f01a3427566a0"))
        }
    }

    /// A user message on UDP is the type byte and the raw serf bytes.
    @Test func userOnUDP() throws {
        let encoded = MemberlistCodec.encode(Self.user)
        #expect(encoded.first == 0x08 && encoded.count == 1 + 17)
        #expect(try MemberlistCodec.decodePacket(encoded) == [Self.user])
    }
}

@Suite struct MemberlistStreamTests {
    static let messages: [MemberlistMessage] = [
        .pushPull(PushPull(join: false, nodes: [
            PushNodeState(name: "a", addr: [10, 0, 0, 1], port: 8301, meta: SerfCodec.encodeTags(["role": "node", "dc": "dc1"]),
                          incarnation: 3, state: .alive, vsn: vsnSerfAgent),
            PushNodeState(name: "b", addr: [10, 0, 0, 2], port: 8301, meta: nil, incarnation: 9, state: .dead, vsn: vsnSerfAgent),
        ], userState: SerfCodec.encode(.join(JoinIntent(ltime: 4, node: "a"))))),
        .pushPull(PushPull(join: true, nodes: [], userState: [])),
        .ping(Ping(seqNo: 3, node: "b", sourceAddr: [10, 0, 0, 1], sourcePort: 8301, sourceNode: "a")),
        .ack(Ack(seqNo: 3, payload: nil)),
        .user(SerfCodec.encode(.userEvent(UserEventMessage(ltime: 1, name: "deploy", payload: Array("v2".utf8))))),
        .user([]),
        .err("Remote state is encrypted and encryption is not configured"),
    ]

    /// §7.6: a TCP user message carries its length in a `{UserMsgLen}` map before the raw bytes.
    @Test func userStreamForm() throws {
        let encoded = MemberlistCodec.encodeStream(.user([0xAB, 0xCD]), compress: false)
        #expect(hexString(encoded) == "0881aa557365724d73674c656e02abcd")
        #expect(try MemberlistCodec.decodeStream(encoded)?.message == .user([0xAB, 0xCD]))
    }

    /// Every strict prefix of a stream message (plain or compressed) asks for more bytes; the
    /// whole message decodes and reports its length even with the next bytes already buffered.
    @Test func prefixesWaitWholeDecodes() throws {
        for message in Self.messages {
            for compress in [false, true] {
                let encoded = MemberlistCodec.encodeStream(message, compress: compress)
                #expect((encoded.first == 0x09) == compress)
                for end in 0..<encoded.count {
                    #expect(try MemberlistCodec.decodeStream(Array(encoded.prefix(end))) == nil, "prefix \(end) of \(message)")
                }
                let whole = try MemberlistCodec.decodeStream(encoded)
                #expect(whole?.message == message)
                #expect(whole?.consumed == encoded.count)
                let withNext = try MemberlistCodec.decodeStream(encoded + [0x06, 0x83])
                #expect(withNext?.consumed == encoded.count)
            }
        }
    }

    /// Stream types memberlist never sends on TCP, encryption, and hostile headers are refused.
    @Test func refusals() {
        #expect(throws: GossipCodecError.unsupported("encrypted")) { try MemberlistCodec.decodeStream([0x0A, 0, 0]) }
        #expect(throws: GossipCodecError.unknownType(0x04)) {
            try MemberlistCodec.decodeStream(MemberlistGoldenTests.aliveN9)
        }
        #expect(throws: GossipCodecError.unknownType(0x63)) { try MemberlistCodec.decodeStream([0x63]) }
        // Nodes: 1<<20 and UserStateLen: 1 GiB are hostile, however many bytes follow.
        #expect(throws: GossipCodecError.malformed("pushPull declares 1048576 nodes")) {
            try MemberlistCodec.decodeStream(bytes(hex: "0683a44a6f696ec2a54e6f646573ce00100000ac5573657253746174654c656e00"))
        }
        #expect(throws: GossipCodecError.malformed("pushPull declares 1073741824 bytes of user state")) {
            try MemberlistCodec.decodeStream(bytes(hex: "0683a44a6f696ec2a54e6f64657300ac5573657253746174654c656ece40000000"))
        }
        #expect(throws: GossipCodecError.malformed("user message declares 4294967295 bytes")) {
            try MemberlistCodec.decodeStream(bytes(hex: "0881aa557365724d73674c656eceffffffff"))
        }
        // A compressed message whose content is cut short is malformed, not "wait for more".
        let cut = MemberlistCodec.compressWrapper(Array(MemberlistCodec.encode(.ack(Ack(seqNo: 1))).dropLast()))
        #expect(throws: GossipCodecError.malformed("compressed stream message is incomplete")) { try MemberlistCodec.decodeStream(cut) }
        let nested = MemberlistCodec.compressWrapper(MemberlistCodec.compressWrapper(MemberlistCodec.encode(.ack(Ack(seqNo: 1)))))
        #expect(throws: GossipCodecError.self) { try MemberlistCodec.decodeStream(nested) }
    }
}

/// Hostile bytes: every decoder throws or returns, never crashes or allocates the declared size.
@Suite struct HostileInputTests {
    /// Random bytes, many with a real type byte in front, go through every decoder safely.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 2024)
        for i in 0..<20_000 {
            var input = randomBytes(Int.random(in: 0..<200, using: &rng), &rng)
            // Give a good share of inputs a plausible type byte so the body parsers get exercised.
            if !input.isEmpty && i % 2 == 0 { input[0] = UInt8.random(in: 0...13, using: &rng) }
            _ = try? MemberlistCodec.decodePacket(input)
            _ = try? MemberlistCodec.decodeStream(input)
            _ = try? SerfCodec.decode(input)
            _ = SerfCodec.decodeTags(input)
            _ = try? SerfCodec.decodeCoordinatePayload(input)
        }
    }

    /// Mutating valid messages reaches deeper than random bytes do.
    @Test func mutatedMessagesNeverCrash() {
        var rng = SplitMix64(seed: 5)
        let seeds = [MemberlistGoldenTests.aliveN9, MemberlistGoldenTests.pushPullJoin, MemberlistGoldenTests.ackFromSerfC,
                     MemberlistCodec.wrapPacket(MemberlistGoldenTests.pushPullJoin, compress: true, crc: true)]
        for _ in 0..<20_000 {
            var input = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? MemberlistCodec.decodePacket(input)
            _ = try? MemberlistCodec.decodeStream(input)
            _ = try? MemberlistCodec.decodeStream(Array(input.dropFirst(5)))
        }
    }

    /// Huge declared lengths and deep nesting.
    @Test func declaredSizesAndNesting() throws {
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket([0x04, 0xDB, 0x00, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: GossipCodecError.truncated) { try MemberlistCodec.decodePacket([0x04, 0xDF, 0x00, 0xFF, 0xFF, 0xFF, 0xA0]) }
        #expect(try MemberlistCodec.decodeStream([0x00, 0xDD, 0x00, 0xFF, 0xFF, 0xFF]) == nil)
        // A stream that declares more than 20 MiB anywhere fails at once instead of waiting.
        #expect(throws: GossipCodecError.malformed("msgpack declares 4294967295 bytes or entries, more than 20971520")) {
            try MemberlistCodec.decodeStream([0x00, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        var deep: [UInt8] = [0x04]
        for _ in 0..<5000 { deep += [0x81, 0xA0] }
        deep.append(0x00)
        #expect(throws: GossipCodecError.malformed("msgpack nested deeper than 32")) { try MemberlistCodec.decodePacket(deep) }
        var nestedCompound = MemberlistCodec.encode(.nack(Nack(seqNo: 1)))
        for _ in 0..<20 { nestedCompound = MemberlistCodec.compound([nestedCompound]) }
        #expect(throws: GossipCodecError.self) { try MemberlistCodec.decodePacket(nestedCompound) }
    }
}
