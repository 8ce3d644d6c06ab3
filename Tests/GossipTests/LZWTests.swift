import TestSupport
import Testing
@testable import Gossip
import Wire

@Suite struct LZWTests {
    /// The reference's tiny example: codes 256, 2, 257 at 9 bits.
    @Test func tinyExample() throws {
        #expect(LZW.compress([0x02]) == [0x00, 0x05, 0x04, 0x04])
        #expect(try LZW.decompress([0x00, 0x05, 0x04, 0x04]) == [0x02])
    }

    /// Go's writer, given nothing, still writes the clear code and then the end code.
    @Test func emptyInput() throws {
        #expect(LZW.compress([]) == [0x00, 0x03, 0x02])
        #expect(try LZW.decompress([0x00, 0x03, 0x02]) == [])
    }

    /// A stream without the leading clear code is valid too (codes 2, 257 at 9 bits).
    @Test func streamWithoutClearCode() throws {
        #expect(try LZW.decompress([0x02, 0x02, 0x02]) == [0x02])
    }

    /// Round trips from 0 B to 20 kB, with data that fills the 4096-code table and forces resets.
    @Test func roundTrips() throws {
        var rng = SplitMix64(seed: 42)
        for size in [0, 1, 2, 3, 255, 256, 257, 511, 512, 1000, 4095, 4096, 5000, 8192, 12_000, 20_000] {
            for data in [randomBytes(size, &rng), textLikeBytes(size, &rng), [UInt8](repeating: 7, count: size)] {
                let compressed = LZW.compress(data)
                #expect(try LZW.decompress(compressed) == data, "size \(size)")
            }
        }
    }

    /// Random data emits a code for nearly every byte, so 20 kB crosses the table-full reset
    /// several times; the codes must still decode, and runs of one byte compress hard.
    @Test func tableResetAndRatio() throws {
        var rng = SplitMix64(seed: 7)
        let random = randomBytes(20_000, &rng)
        let compressed = LZW.compress(random)
        #expect(compressed.count > 20_000)  // 12-bit codes for ~1 byte each
        #expect(try LZW.decompress(compressed) == random)
        #expect(LZW.compress([UInt8](repeating: 0, count: 20_000)).count < 400)
    }

    /// Undefined codes, missing end codes and random garbage throw; nothing crashes.
    @Test func garbageThrows() {
        #expect(throws: GossipCodecError.self) { try LZW.decompress([0xFF, 0xFF, 0xFF]) }
        #expect(throws: GossipCodecError.self) { try LZW.decompress([]) }
        let good = LZW.compress(Array("hello hello hello hello".utf8))
        #expect(throws: GossipCodecError.self) { try LZW.decompress(Array(good.dropLast(2))) }
        var rng = SplitMix64(seed: 99)
        for _ in 0..<2000 {
            _ = try? LZW.decompress(randomBytes(Int.random(in: 0..<300, using: &rng), &rng))
        }
    }

    /// Output beyond the bound is refused rather than allocated.
    @Test func outputBound() {
        let bomb = LZW.compress([UInt8](repeating: 0, count: 100_000))
        #expect(throws: GossipCodecError.self) { try LZW.decompress(bomb, outputBytesMax: 50_000) }
        #expect((try? LZW.decompress(bomb, outputBytesMax: 100_000))?.count == 100_000)
    }
}

@Suite struct CRC32Tests {
    /// The standard check value for CRC-32/IEEE.
    @Test func checkValue() {
        #expect(CRC32IEEE.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32IEEE.checksum([UInt8]()) == 0)
    }
}
