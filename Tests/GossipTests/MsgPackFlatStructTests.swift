import Wire
import Gossip
import Testing

@Suite("MsgPackFlatStruct")
struct MsgPackFlatStructTests {
    /// Proves the bytes are go-msgpack's for a Consul user event (map, raw strs, smallest ints) and decode back.
    @Test func goBytesAndRoundTrip() throws {
        let bytes = MsgPackFlatStruct.encode([("ID", .raw(Array("a".utf8))), ("n", .raw(Array("x".utf8))), ("v", .int(1))])
        #expect(bytes == [0x83, 0xA2, 0x49, 0x44, 0xA1, 0x61, 0xA1, 0x6E, 0xA1, 0x78, 0xA1, 0x76, 0x01])
        let fields = try MsgPackFlatStruct.decode(bytes)
        #expect(fields["ID"] == .raw(Array("a".utf8)) && fields["n"] == .raw(Array("x".utf8)) && fields["v"] == .int(1))
        #expect(throws: GossipCodecError.self) { try MsgPackFlatStruct.decode([0x01]) }
    }
}
