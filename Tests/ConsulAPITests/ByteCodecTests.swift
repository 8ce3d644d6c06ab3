import Testing
import Wire

private enum TestFailure: ByteDecodeFailure, Equatable {
    case truncated(field: String, needed: Int, remaining: Int)
    case badBool(field: String, value: UInt8)
    case invalidUTF8(field: String)
    case trailingBytes(field: String, count: Int)
}

@Suite("Wire byte codec")
struct ByteCodecTests {
    /// Proves each byte order lays fixed-width fields out as its name says.
    @Test func byteOrders() {
        var be = ByteWriter(order: .bigEndian)
        var le = ByteWriter(order: .littleEndian)
        for w in [0, 1] {
            var writer = w == 0 ? be : le
            writer.u16(0x0102); writer.u32(0x0304_0506); writer.u64(0x0708_090A_0B0C_0D0E)
            if w == 0 { be = writer } else { le = writer }
        }
        #expect(be.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
        #expect(le.bytes == [2, 1, 6, 5, 4, 3, 14, 13, 12, 11, 10, 9, 8, 7])
    }

    /// Proves what is written reads back in both orders.
    @Test(arguments: [ByteOrder.bigEndian, .littleEndian])
    func roundTrip(_ order: ByteOrder) throws {
        var w = ByteWriter(order: order)
        w.u8(7); w.bool(true); w.u16(65535); w.u32(123_456); w.u64(.max)
        w.shortString("node-1"); w.string("héllo"); w.blob([1, 2, 3])
        var r = ByteReader<TestFailure>(w.bytes, order: order)
        #expect(try r.u8() == 7)
        #expect(try r.bool() == true)
        #expect(try r.u16() == 65535)
        #expect(try r.u32() == 123_456)
        #expect(try r.u64() == .max)
        #expect(try r.shortString() == "node-1")
        #expect(try r.string() == "héllo")
        #expect(try r.blob() == [1, 2, 3])
        #expect(r.isAtEnd)
        try r.finish("record")
    }

    /// Proves hostile lengths and bytes fail with the field named, before any allocation.
    @Test func hostileInput() {
        var r = ByteReader<TestFailure>([0xFF, 0xFF, 0xFF, 0xFF, 0], order: .bigEndian)
        #expect(throws: TestFailure.truncated(field: "value", needed: 0xFFFF_FFFF, remaining: 1)) { try r.blob("value") }
        var b = ByteReader<TestFailure>([2], order: .littleEndian)
        #expect(throws: TestFailure.badBool(field: "flag", value: 2)) { try b.bool("flag") }
        var u = ByteReader<TestFailure>([0, 2, 0xC3, 0x28], order: .bigEndian)
        #expect(throws: TestFailure.invalidUTF8(field: "name")) { try u.shortString("name") }
        var c = ByteReader<TestFailure>([0, 0, 0, 9, 1], order: .bigEndian)
        #expect(throws: TestFailure.truncated(field: "items", needed: 18, remaining: 1)) { try c.count("items", itemBytesMin: 2) }
        let t = ByteReader<TestFailure>([1], order: .bigEndian)
        #expect(throws: TestFailure.trailingBytes(field: "frame", count: 1)) { try t.finish("frame") }
    }

    @Test func hex() {
        #expect(Hex.encode([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
    }
}
