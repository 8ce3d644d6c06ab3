/// gzip (RFC 1952) whose deflate stream (RFC 1951) is made of stored blocks: what `gunzip` and
/// `tar xzf` read, without a compressor. For bundles whose size does not matter much
/// (`consul debug`); the CRC is CRC-32/IEEE.
public enum GzipStored {
    public static func wrap(_ data: [UInt8], modifiedSeconds: UInt32 = 0) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0x00]
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: modifiedSeconds >> UInt32(shift))) }
        out += [0x00, 0x03]  // no extra flags; OS: Unix
        out.reserveCapacity(out.count + data.count + data.count / 65_535 * 5 + 16)
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let last = offset + length == data.count
            out.append(last ? 0x01 : 0x00)  // BFINAL, BTYPE = 00 (stored)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        let crc = CRC32IEEE.checksum(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        for value in [crc, size] {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        return out
    }
}
