/// Big-endian primitives shared by the RPC frame, Raft message and request/response codecs
/// (docs/rpc.md). The reader checks every declared length against the bytes that remain before
/// it allocates, so hostile input costs at most its own size.

/// Why bytes from a peer on the server port could not be decoded. Any of these ends the
/// connection: the stream position is no longer trustworthy.
public enum RPCDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first four bytes of an inbound connection were not `SCR1`.
    case badPreamble([UInt8])
    /// The peer speaks `SCR` with a protocol version we do not know.
    case unsupportedVersion(UInt8)
    /// A frame header declared more bytes than this side accepts.
    case frameTooLarge(declared: UInt32, max: Int)
    /// A frame header declared fewer bytes than kind + correlation id (9).
    case frameTooShort(declared: UInt32)
    case unknownFrameKind(UInt8)
    /// A payload ended inside `field`.
    case truncated(field: String, needed: Int, remaining: Int)
    /// A tag byte (message body, method, status, result) that this version does not define.
    case unknownTag(field: String, value: UInt8)
    case unknownEntryKind(UInt8)
    /// A boolean byte other than 0 or 1.
    case badBool(field: String, value: UInt8)
    case invalidUTF8(field: String)
    /// The payload was longer than its contents.
    case trailingBytes(field: String, count: Int)
    /// Well-formed bytes the protocol does not allow here (e.g. a response frame on an
    /// inbound connection).
    case malformed(String)

    public var description: String {
        switch self {
        case .badPreamble(let b): return "rpc: bad connection preamble \(b) (want \"SCR1\")"
        case .unsupportedVersion(let v): return "rpc: unsupported protocol version byte \(v) (want 0x31, \"1\")"
        case .frameTooLarge(let d, let m): return "rpc: frame of \(d) bytes exceeds the limit of \(m)"
        case .frameTooShort(let d): return "rpc: frame of \(d) bytes is shorter than its 9-byte header"
        case .unknownFrameKind(let k): return "rpc: unknown frame kind \(k)"
        case .truncated(let f, let n, let r): return "rpc: \(f) needs \(n) bytes, \(r) remain"
        case .unknownTag(let f, let v): return "rpc: unknown \(f) tag \(v)"
        case .unknownEntryKind(let k): return "rpc: unknown raft entry kind \(k)"
        case .badBool(let f, let v): return "rpc: \(f) is \(v), want 0 or 1"
        case .invalidUTF8(let f): return "rpc: \(f) is not valid UTF-8"
        case .trailingBytes(let f, let n): return "rpc: \(n) unexpected bytes after \(f)"
        case .malformed(let why): return "rpc: \(why)"
        }
    }
}

/// Appends big-endian fields to a byte array.
struct RPCWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    /// u16 length + UTF-8. Server IDs are node IDs (36-byte UUIDs); 64 KiB is a programming error.
    mutating func shortString(_ s: String) {
        let count = s.utf8.count
        precondition(count <= Int(UInt16.max), "rpc: string of \(count) bytes does not fit a u16 length")
        u16(UInt16(count))
        bytes.append(contentsOf: s.utf8)
    }

    /// u32 length + bytes.
    mutating func blob(_ b: [UInt8]) {
        precondition(b.count <= Int(UInt32.max), "rpc: blob of \(b.count) bytes does not fit a u32 length")
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }
}

/// Reads big-endian fields from a byte array; every read names its field for the error.
struct RPCReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private func need(_ n: Int, _ field: String) throws(RPCDecodeError) {
        if n > remaining { throw .truncated(field: field, needed: n, remaining: remaining) }
    }

    mutating func u8(_ field: String) throws(RPCDecodeError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool(_ field: String) throws(RPCDecodeError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw .badBool(field: field, value: v)
        }
    }

    mutating func u16(_ field: String) throws(RPCDecodeError) -> UInt16 {
        UInt16(truncatingIfNeeded: try uint(2, field))
    }

    mutating func u32(_ field: String) throws(RPCDecodeError) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint(4, field))
    }

    mutating func u64(_ field: String) throws(RPCDecodeError) -> UInt64 {
        try uint(8, field)
    }

    private mutating func uint(_ width: Int, _ field: String) throws(RPCDecodeError) -> UInt64 {
        try need(width, field)
        var v: UInt64 = 0
        for i in offset..<(offset + width) { v = v << 8 | UInt64(bytes[i]) }
        offset += width
        return v
    }

    /// Exactly `n` bytes.
    mutating func raw(_ n: Int, _ field: String) throws(RPCDecodeError) -> [UInt8] {
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// u16 length + UTF-8.
    mutating func shortString(_ field: String) throws(RPCDecodeError) -> String {
        let n = Int(try u16(field + " length"))
        return try utf8(try raw(n, field), field)
    }

    /// u32 length + bytes.
    mutating func blob(_ field: String) throws(RPCDecodeError) -> [UInt8] {
        let n = Int(try u32(field + " length"))
        return try raw(n, field)
    }

    /// Everything that is left.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// A count of items, each at least `itemBytesMin` long: refuses counts the remaining bytes
    /// cannot hold, so callers may reserve capacity for it.
    mutating func count(_ field: String, itemBytesMin: Int) throws(RPCDecodeError) -> Int {
        let n = Int(try u32(field + " count"))
        if n > remaining / itemBytesMin {
            throw .truncated(field: field, needed: n * itemBytesMin, remaining: remaining)
        }
        return n
    }

    func finish(_ field: String) throws(RPCDecodeError) {
        if remaining != 0 { throw .trailingBytes(field: field, count: remaining) }
    }

    func utf8(_ b: [UInt8], _ field: String) throws(RPCDecodeError) -> String {
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return s
    }
}
