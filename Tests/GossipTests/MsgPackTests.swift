import Wire
import Testing
@testable import Gossip

@Suite struct MsgPackWriterTests {
    /// Integers take the smallest form for their value, as go-msgpack writes them.
    @Test func unsignedFormsByValue() {
        let cases: [(UInt64, String)] = [
            (0, "00"), (127, "7f"), (128, "cc80"), (255, "ccff"), (256, "cd0100"), (65535, "cdffff"),
            (65536, "ce00010000"), (0xFFFF_FFFF, "ceffffffff"), (0x1_0000_0000, "cf0000000100000000"),
        ]
        for (value, expected) in cases {
            var w = MsgPackWriter()
            w.writeUInt(value)
            #expect(hexString(w.bytes) == expected, "value \(value)")
        }
    }

    /// Negative integers use neg fixint then d0…d3; non-negative ones the unsigned forms.
    @Test func signedForms() {
        let cases: [(Int64, String)] = [
            (-1, "ff"), (-32, "e0"), (-33, "d0df"), (-128, "d080"), (-129, "d1ff7f"), (-32768, "d18000"),
            (-32769, "d2ffff7fff"), (Int64(Int32.min) - 1, "d3ffffffff7fffffff"), (5_000_000_000, "cf000000012a05f200"),
        ]
        for (value, expected) in cases {
            var w = MsgPackWriter()
            w.writeInt(value)
            #expect(hexString(w.bytes) == expected, "value \(value)")
        }
    }

    /// Raw headers switch from fixstr straight to `da` (never `d9`), then `db`.
    @Test func rawHeaders() {
        for (length, header) in [(0, "a0"), (31, "bf"), (32, "da0020"), (40, "da0028"), (65535, "daffff"), (65536, "db00010000")] {
            var w = MsgPackWriter()
            w.writeRaw([UInt8](repeating: 0x61, count: length))
            #expect(hexString(Array(w.bytes.prefix(header.count / 2))) == header, "length \(length)")
            #expect(w.bytes.count == header.count / 2 + length)
        }
    }

    /// Container headers: fix forms below 16 entries, then 16-bit, then 32-bit counts.
    @Test func containerHeaders() {
        var w = MsgPackWriter()
        w.writeMapHeader(15); w.writeMapHeader(16); w.writeMapHeader(70000)
        w.writeArrayHeader(0); w.writeArrayHeader(16); w.writeArrayHeader(70000)
        #expect(hexString(w.bytes) == "8f" + "de0010" + "df00011170" + "90" + "dc0010" + "dd00011170")
    }

    /// Floats are always `cb`, bools `c2`/`c3`, nil `c0`.
    @Test func scalars() {
        var w = MsgPackWriter()
        w.writeFloat64(1.5); w.writeBool(true); w.writeBool(false); w.writeNil()
        #expect(hexString(w.bytes) == "cb3ff8000000000000c3c2c0")
    }
}

@Suite struct MsgPackReaderTests {
    /// The reader accepts encodings Go never writes: str8, bin, float32, signed ints and extensions.
    @Test func acceptsEveryFamily() throws {
        let input = bytes(hex: "d903616263 c40178 c5000179 c600000001 7a ca3fc00000 d0fe d1fffe d2fffffffe d3fffffffffffffffe d401aa c70302616263")
        var r = MsgPackReader(input)
        #expect(try r.readValue() == .raw(Array("abc".utf8)))
        #expect(try r.readValue() == .raw([0x78]))
        #expect(try r.readValue() == .raw([0x79]))
        #expect(try r.readValue() == .raw([0x7A]))
        #expect(try r.readValue() == .float(1.5))
        #expect(try r.readValue() == .int(-2))
        #expect(try r.readValue() == .int(-2))
        #expect(try r.readValue() == .int(-2))
        #expect(try r.readValue() == .int(-2))
        #expect(try r.readValue() == .ext(type: 1, data: [0xAA]))
        #expect(try r.readValue() == .ext(type: 2, data: Array("abc".utf8)))
        #expect(r.isAtEnd)
    }

    /// Every way of running out of bytes is `.truncated`, never a crash or an allocation of the
    /// declared size.
    @Test func truncationAndHugeDeclarations() {
        for input in ["", "cd01", "da00", "da0005616263", "db00ffffff", "dd00ffffff", "df00ffffff", "c600ffffff00", "c900ffffff01", "9301", "8101"] {
            var r = MsgPackReader(bytes(hex: input))
            #expect(throws: GossipCodecError.truncated, "input \(input)") { try r.readValue() }
        }
        // Beyond memberlist's 20 MiB stream bound a declaration is refused outright.
        for input in ["dbffffffff", "ddffffffff", "dfffffffff", "c6ffffffff00", "c901400001"] {
            var r = MsgPackReader(bytes(hex: input))
            let result = Result { () throws(GossipCodecError) in try r.readValue() }
            guard case .failure(.malformed) = result else {
                Issue.record("input \(input) gave \(result), not malformed")
                continue
            }
        }
    }

    /// Nesting beyond the bound is malformed, however long the input.
    @Test func deepNestingIsRejected() {
        var r = MsgPackReader([UInt8](repeating: 0x91, count: 100_000) + [0x00])
        #expect(throws: GossipCodecError.malformed("msgpack nested deeper than 32")) { try r.readValue() }
        var ok = MsgPackReader([UInt8](repeating: 0x91, count: 31) + [0x00])
        #expect(throws: Never.self) { try ok.readValue() }
    }

    /// `c1` is the one byte msgpack never uses.
    @Test func reservedByteIsMalformed() {
        var r = MsgPackReader([0xC1])
        #expect(throws: GossipCodecError.self) { try r.readValue() }
    }
}
