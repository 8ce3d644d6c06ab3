/// CRC-32/IEEE (zlib, Ethernet): reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF. memberlist's CRC header (type 12) carries it big-endian (gossip-wire.md §3.3).
public enum CRC32IEEE {
    private static let table: [UInt32] = (0..<256).map { (n: UInt32) -> UInt32 in
        var c = n
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
