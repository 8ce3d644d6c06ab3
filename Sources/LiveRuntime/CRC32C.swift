/// CRC-32C (Castagnoli), table-driven. SQLite has no page checksums, so each Raft log row
/// carries one: a flipped bit in a row is caught at start-up instead of being replayed.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    /// The checksum of one log row: index, term and type (little-endian), then the data.
    static func logRow(index: UInt64, term: UInt64, kind: UInt8, data: [UInt8]) -> UInt32 {
        var header = (index.littleEndian, term.littleEndian, kind)
        var crc = withUnsafeBytes(of: &header.0) { update(0, $0) }
        crc = withUnsafeBytes(of: &header.1) { update(crc, $0) }
        crc = withUnsafeBytes(of: &header.2) { update(crc, $0) }
        return data.withUnsafeBytes { update(crc, $0) }
    }
}
