import Testing
@testable import Gossip

@Suite struct SerfMessageTests {
    /// §11.6: the relay header as serf compares it, followed by the message to forward.
    @Test func relay() throws {
        let header = bytes(hex: "0982a8446573744164647283a24950a47f000001a4506f7274cd60eaa45a6f6e65a0a8446573744e616d65a566616b6531")
        let inner = SerfCodec.encode(.queryResponse(QueryResponseMessage(ltime: 3, id: 9, from: "fake2", flags: 0, payload: [1])))
        let relay = SerfMessage.relay(destinationAddr: [127, 0, 0, 1], destinationPort: 24810, destinationName: "fake1", message: inner)
        let encoded = SerfCodec.encode(relay)
        #expect(encoded == header + inner)
        #expect(try SerfCodec.decode(encoded) == relay)
        #expect(throws: GossipCodecError.self) { try SerfCodec.decode(header) }
    }

    /// Each message type comes back as it went out.
    @Test func roundTrips() throws {
        let messages: [SerfMessage] = [
            .leave(LeaveIntent(ltime: 12, node: "n1", prune: true)),
            .join(JoinIntent(ltime: 1 << 40, node: "n2")),
            .userEvent(UserEventMessage(ltime: 7, name: "consul:new-leader", payload: Array("s1".utf8), cc: true)),
            .query(QueryMessage(ltime: 5, id: 0xDEAD_BEEF, addr: [10, 0, 0, 1], port: 8301, sourceNode: "n1",
                                filters: [[0] + [0x91, 0xA2, 0x6E, 0x31]], flags: 1, relayFactor: 2, timeout: 5_000_000_000,
                                name: "_serf_ping", payload: [])),
            .query(QueryMessage(ltime: 6, id: 1, addr: [], port: 0, sourceNode: "", filters: [], flags: 0, relayFactor: 0,
                                timeout: -1, name: "", payload: [0xFF])),
            .queryResponse(QueryResponseMessage(ltime: 5, id: 9, from: "n3", flags: 1, payload: [])),
            .pushPull(SerfPushPull(ltime: 9, statusLTimes: ["b": 2, "a": 1, "c": 0], leftMembers: ["c"], eventLTime: 4,
                                   events: [nil, UserEventSlot(ltime: 3, events: [("deploy", [1, 2]), ("x", [])]), nil],
                                   queryLTime: 2)),
        ]
        for message in messages {
            #expect(try SerfCodec.decode(SerfCodec.encode(message)) == message)
        }
    }

    /// Go's field order, a nil slice for no filters, and the 5 s timeout as `cf` (int64 ≥ 0 → uint forms).
    @Test func queryBytes() {
        let query = SerfMessage.query(QueryMessage(ltime: 1, id: 2, addr: [127, 0, 0, 1], port: 7946, sourceNode: "a", filters: [],
                                                   flags: 0, relayFactor: 0, timeout: 5_000_000_000, name: "q", payload: []))
        let text = hexString(SerfCodec.encode(query))
        #expect(text.hasPrefix("048ba441646472a47f000001a746696c74657273c0"))
        #expect(text.hasSuffix("a754696d656f7574cf000000012a05f200"))
    }

    /// User events: `[3]{CC, LTime, Name, Payload}` in that order.
    @Test func userEventBytes() {
        let event = SerfCodec.encode(.userEvent(UserEventMessage(ltime: 1, name: "e", payload: [0x70])))
        #expect(hexString(event) == "0384a24343c2a54c54696d6501a44e616d65a165a75061796c6f6164a170")
    }

    /// Push/pull state: sorted StatusLTimes, `90` for no left members, `c0` per empty slot.
    @Test func pushPullBytes() {
        let state = SerfCodec.encode(.pushPull(SerfPushPull(ltime: 1, statusLTimes: ["zz": 1, "aa": 2], leftMembers: [],
                                                            eventLTime: 0, events: [nil], queryLTime: 0)))
        #expect(hexString(state).hasSuffix("ab4c6566744d656d6265727390aa51756572794c54696d6500ac5374617475734c54696d657382a2616102a27a7a01"))
        #expect(hexString(state).contains("a64576656e747391c0"))
    }

    /// Unknown and payload-only serf types, and garbage, are refused.
    @Test func refusals() {
        #expect(throws: GossipCodecError.unknownType(0x0A)) { try SerfCodec.decode([0x0A, 0x80]) }
        #expect(throws: GossipCodecError.unknownType(0x06)) { try SerfCodec.decode([0x06, 0xC0]) }
        #expect(throws: GossipCodecError.truncated) { try SerfCodec.decode([]) }
        #expect(throws: GossipCodecError.truncated) { try SerfCodec.decode([0x00, 0x83]) }
        #expect(throws: GossipCodecError.self) { try SerfCodec.decode([0x00, 0x81, 0xA5, 0x4C, 0x54, 0x69, 0x6D, 0x65, 0xA1, 0x78]) }
    }
}

@Suite struct SerfTagTests {
    /// §9.5: no tags is `ff 80`; one tag is the reference's bytes; keys come out sorted.
    @Test func encode() {
        #expect(SerfCodec.encodeTags([:]) == [0xFF, 0x80])
        #expect(hexString(SerfCodec.encodeTags(["role": "x"])) == "ff81a4726f6c65a178")
        #expect(hexString(SerfCodec.encodeTags(["role": "x", "dc": "d"])) == "ff82a26463a164a4726f6c65a178")
    }

    /// Decoding mirrors serf: tag maps, legacy bare role strings, and partial results on errors.
    @Test func decode() {
        #expect(SerfCodec.decodeTags([0xFF, 0x80]) == [:])
        let tags = ["role": "consul", "dc": "dc1", "port": "8300", "id": "0b1f6c58-0000-4000-8000-000000000001"]
        #expect(SerfCodec.decodeTags(SerfCodec.encodeTags(tags)) == tags)
        #expect(SerfCodec.decodeTags(Array("node".utf8)) == ["role": "node"])
        #expect(SerfCodec.decodeTags(nil) == ["role": ""])
        #expect(SerfCodec.decodeTags([]) == ["role": ""])
        // Two entries declared, the second cut short: the first survives.
        #expect(SerfCodec.decodeTags(bytes(hex: "ff82a26463a164a4726f")) == ["dc": "d"])
        #expect(SerfCodec.decodeTags([0xFF]) == [:])
        #expect(SerfCodec.decodeTags([0xFF, 0x01]) == [:])
    }
}

@Suite struct CoordinatePayloadTests {
    /// §9.7: the initial coordinate is the 130 bytes serf sends, and it round-trips.
    @Test func defaultCoordinate() throws {
        let payload = SerfCodec.encodeCoordinatePayload(Coordinate())
        #expect(payload.count == 130)
        #expect(payload == MemberlistGoldenTests.coordinatePayload)
        #expect(try SerfCodec.decodeCoordinatePayload(payload) == Coordinate())
    }

    /// Arbitrary finite values survive the trip exactly (every float travels as 8 bytes).
    @Test func roundTrip() throws {
        let c = Coordinate(vec: [0.001, -0.002, 1e-9, 0, 5, -5, 0.25, 3.5e-3], error: 0.2, adjustment: -1e-4, height: 2e-5)
        #expect(try SerfCodec.decodeCoordinatePayload(SerfCodec.encodeCoordinatePayload(c)) == c)
    }

    /// Wrong version, wrong dimensionality, NaN and infinity are rejected.
    @Test func rejections() {
        var wrongVersion = SerfCodec.encodeCoordinatePayload(Coordinate())
        wrongVersion[0] = 2
        #expect(throws: GossipCodecError.unsupported("ping payload version 2")) { try SerfCodec.decodeCoordinatePayload(wrongVersion) }
        #expect(throws: GossipCodecError.self) { try SerfCodec.decodeCoordinatePayload(SerfCodec.encodeCoordinatePayload(Coordinate(vec: [0, 0]))) }
        #expect(throws: GossipCodecError.self) { try SerfCodec.decodeCoordinatePayload(SerfCodec.encodeCoordinatePayload(Coordinate(error: .nan))) }
        #expect(throws: GossipCodecError.self) {
            try SerfCodec.decodeCoordinatePayload(SerfCodec.encodeCoordinatePayload(Coordinate(vec: [0, 0, 0, .infinity, 0, 0, 0, 0])))
        }
        #expect(throws: GossipCodecError.truncated) { try SerfCodec.decodeCoordinatePayload([]) }
        #expect(throws: GossipCodecError.truncated) { try SerfCodec.decodeCoordinatePayload([0x01, 0x84]) }
    }
}
