import Wire

extension CRC32C {
    /// The checksum of one log row: index, term and type (little-endian), then the data.
    static func logRow(index: UInt64, term: UInt64, kind: UInt8, data: [UInt8]) -> UInt32 {
        var header = (index.littleEndian, term.littleEndian, kind)
        var crc = withUnsafeBytes(of: &header.0) { update(0, $0) }
        crc = withUnsafeBytes(of: &header.1) { update(crc, $0) }
        crc = withUnsafeBytes(of: &header.2) { update(crc, $0) }
        return data.withUnsafeBytes { update(crc, $0) }
    }
}
