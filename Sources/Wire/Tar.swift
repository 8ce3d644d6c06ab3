/// POSIX ustar archives of regular files, enough for snapshot archives (docs/snapshot.md):
/// written so `tar tf` / `tar xf` read them, read back with every header checked (magic,
/// checksum, octal fields, type, bounds) so a damaged archive is refused with a reason.
public enum Tar {
    public static let blockBytes = 512

    /// Why bytes are not a tar archive we accept.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The archive ends inside a header or a file's data (or before its end-of-archive blocks).
        case truncated(String)
        /// A header that is not a ustar header of a regular file.
        case badHeader(String)
        /// The header's checksum does not match its bytes.
        case badChecksum(entry: String)
        /// Bytes other than zeros after the end-of-archive blocks.
        case trailingBytes(Int)

        public var description: String {
            switch self {
            case .truncated(let what): return "tar: archive is truncated (\(what))"
            case .badHeader(let why): return "tar: \(why)"
            case .badChecksum(let entry): return "tar: header checksum mismatch for \"\(entry)\""
            case .trailingBytes(let n): return "tar: \(n) unexpected bytes after the end of the archive"
            }
        }
    }

    /// One regular file's header, then its data padded to a whole block.
    public static func file(name: String, data: [UInt8], modifiedSeconds: UInt64, mode: Int = 0o600) -> [UInt8] {
        var out = header(name: name, size: data.count, modifiedSeconds: modifiedSeconds, mode: mode)
        out.reserveCapacity(out.count + data.count + blockBytes)
        out += data
        out += padding(after: data.count)
        return out
    }

    /// The 512-byte ustar header of a regular file of `size` bytes.
    public static func header(name: String, size: Int, modifiedSeconds: UInt64, mode: Int = 0o600) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        precondition(!nameBytes.isEmpty && nameBytes.count <= 100, "tar entry name must be 1-100 bytes")
        var h = [UInt8](repeating: 0, count: blockBytes)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { h[offset + i] = b } }
        func octal(_ value: UInt64, width: Int) -> [UInt8] {
            let digits = Array(String(value, radix: 8).utf8)
            precondition(digits.count < width, "tar field overflow")
            return [UInt8](repeating: 0x30, count: width - 1 - digits.count) + digits + [0]
        }
        put(nameBytes, at: 0)
        put(octal(UInt64(mode), width: 8), at: 100)
        put(octal(0, width: 8), at: 108)                   // uid
        put(octal(0, width: 8), at: 116)                   // gid
        put(octal(UInt64(size), width: 12), at: 124)
        put(octal(modifiedSeconds, width: 12), at: 136)
        put(Array("        ".utf8), at: 148)               // checksum counts as spaces
        h[156] = 0x30                                      // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        // At most 512 × 255 = 0o377000: six octal digits, then NUL and space as tar writes it.
        let sum = Array(String(h.reduce(0) { $0 + Int($1) }, radix: 8).utf8)
        put([UInt8](repeating: 0x30, count: 6 - sum.count) + sum + [0, 0x20], at: 148)
        return h
    }

    /// Zeros that bring `size` bytes of data to a whole block.
    public static func padding(after size: Int) -> [UInt8] {
        let rest = size % blockBytes
        return rest == 0 ? [] : [UInt8](repeating: 0, count: blockBytes - rest)
    }

    /// The two zero blocks that end an archive.
    public static let endOfArchive = [UInt8](repeating: 0, count: 2 * blockBytes)

    /// A file inside an archive: its name and where its data lies in the archive's bytes.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var data: Range<Int>
    }

    /// The files of an archive in order, each header verified. Only regular files are accepted;
    /// the archive must end with its end-of-archive blocks, and only zeros may follow them.
    public static func entries(_ archive: [UInt8]) throws(Failure) -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        while true {
            guard offset + blockBytes <= archive.count else {
                throw .truncated(entries.isEmpty ? "no header" : "no end-of-archive blocks after \"\(entries.last!.name)\"")
            }
            let block = archive[offset..<(offset + blockBytes)]
            if block.allSatisfy({ $0 == 0 }) {
                let end = offset + 2 * blockBytes
                guard end <= archive.count else { throw .truncated("one end-of-archive block of two") }
                let extra = archive[end...].filter { $0 != 0 }.count
                if extra > 0 { throw .trailingBytes(archive.count - end) }
                return entries
            }
            let entry = try parseHeader(Array(block))
            let start = offset + blockBytes
            guard entry.size <= archive.count - start else {
                throw .truncated("\"\(entry.name)\" declares \(entry.size) bytes, \(archive.count - start) remain")
            }
            entries.append(Entry(name: entry.name, data: start..<(start + entry.size)))
            offset = start + entry.size + padding(after: entry.size).count
        }
    }

    private static func parseHeader(_ h: [UInt8]) throws(Failure) -> (name: String, size: Int) {
        let nameBytes = h[0..<100].prefix { $0 != 0 }
        guard let name = String(validating: nameBytes, as: UTF8.self), !name.isEmpty else {
            throw .badHeader("entry name is empty or not UTF-8")
        }
        guard Array(h[257..<262]) == Array("ustar".utf8) else { throw .badHeader("\"\(name)\" has no ustar magic") }
        guard let declared = octal(h[148..<156]) else { throw .badHeader("\"\(name)\" has an unreadable checksum") }
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(b) }
        guard declared == sum else { throw .badChecksum(entry: name) }
        guard h[156] == 0x30 || h[156] == 0 else { throw .badHeader("\"\(name)\" is not a regular file") }
        guard let size = octal(h[124..<136]) else { throw .badHeader("\"\(name)\" has an unreadable size") }
        return (name, size)
    }

    /// An octal field: digits, optionally led by spaces and ended by NUL or space.
    private static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        let digits = field.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty, digits.count <= 11, digits.allSatisfy({ (0x30...0x37).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
    }
}
