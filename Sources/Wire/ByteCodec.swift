/// Fixed-width fields in either byte order, and the length-prefixed strings and blobs built on
/// them: the one reader/writer pair behind the Raft state codec (little endian, on disk) and the
/// server RPC codec (big endian, on the wire). The reader checks every declared length against
/// the bytes that remain before it allocates, so hostile input costs at most its own size.

public enum ByteOrder: Sendable {
    case bigEndian, littleEndian
}

/// What a module's decode error must be able to say, so each codec keeps its own error type
/// (with its own wording) over the shared reader.
public protocol ByteDecodeFailure: Error {
    /// `field` ended: it needs `needed` bytes and `remaining` are left.
    static func truncated(field: String, needed: Int, remaining: Int) -> Self
    /// A boolean byte other than 0 or 1.
    static func badBool(field: String, value: UInt8) -> Self
    static func invalidUTF8(field: String) -> Self
    /// The bytes were longer than their contents.
    static func trailingBytes(field: String, count: Int) -> Self
}

/// Appends fixed-width fields in one byte order to a byte array.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8] = []
    public let order: ByteOrder

    public init(order: ByteOrder, capacity: Int = 0) {
        self.order = order
        bytes.reserveCapacity(capacity)
    }

    @inlinable public mutating func u8(_ v: UInt8) { bytes.append(v) }
    @inlinable public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    @inlinable public mutating func u16(_ v: UInt16) { put(UInt64(v), width: 2) }
    @inlinable public mutating func u32(_ v: UInt32) { put(UInt64(v), width: 4) }
    @inlinable public mutating func u64(_ v: UInt64) { put(v, width: 8) }

    @inlinable mutating func put(_ v: UInt64, width: Int) {
        switch order {
        case .bigEndian:
            for i in stride(from: width - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
        case .littleEndian:
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
        }
    }

    /// u16 length + UTF-8. For short identifiers; 64 KiB is a programming error.
    public mutating func shortString(_ s: String) {
        let count = s.utf8.count
        precondition(count <= Int(UInt16.max), "string of \(count) bytes does not fit a u16 length")
        u16(UInt16(count))
        bytes.append(contentsOf: s.utf8)
    }

    /// u32 length + bytes.
    @inlinable public mutating func blob(_ b: [UInt8]) {
        precondition(b.count <= Int(UInt32.max), "blob of \(b.count) bytes does not fit a u32 length")
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }

    /// u32 length + UTF-8.
    @inlinable public mutating func string(_ s: String) {
        let utf8 = s.utf8
        precondition(utf8.count <= Int(UInt32.max), "string of \(utf8.count) bytes does not fit a u32 length")
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Bytes with no length in front.
    @inlinable public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    @inlinable public mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }
}

/// Reads fixed-width fields in one byte order; every read names its field for the error, which
/// is the caller's own `Failure` type.
public struct ByteReader<Failure: ByteDecodeFailure> {
    public let bytes: [UInt8]
    public let order: ByteOrder
    /// Where the next read starts (settable so a caller can skip or re-read).
    public var offset: Int

    public init(_ bytes: [UInt8], order: ByteOrder, offset: Int = 0) {
        self.bytes = bytes
        self.order = order
        self.offset = offset
    }

    @inlinable public var remaining: Int { bytes.count - offset }
    @inlinable public var isAtEnd: Bool { offset == bytes.count }

    @inlinable func need(_ n: Int, _ field: String) throws(Failure) {
        if n > remaining { throw .truncated(field: field, needed: n, remaining: remaining) }
    }

    @inlinable public mutating func u8(_ field: String = "byte") throws(Failure) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool(_ field: String = "bool") throws(Failure) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw .badBool(field: field, value: v)
        }
    }

    @inlinable public mutating func u16(_ field: String = "u16") throws(Failure) -> UInt16 {
        UInt16(truncatingIfNeeded: try uint(2, field))
    }

    @inlinable public mutating func u32(_ field: String = "u32") throws(Failure) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint(4, field))
    }

    @inlinable public mutating func u64(_ field: String = "u64") throws(Failure) -> UInt64 {
        try uint(8, field)
    }

    @inlinable mutating func uint(_ width: Int, _ field: String) throws(Failure) -> UInt64 {
        try need(width, field)
        var v: UInt64 = 0
        switch order {
        case .bigEndian:
            for i in offset..<(offset + width) { v = v << 8 | UInt64(bytes[i]) }
        case .littleEndian:
            for k in 0..<width { v |= UInt64(bytes[offset + k]) << UInt64(8 * k) }
        }
        offset += width
        return v
    }

    /// Exactly `n` bytes.
    @inlinable public mutating func raw(_ n: Int, _ field: String = "bytes") throws(Failure) -> [UInt8] {
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// u16 length + UTF-8.
    public mutating func shortString(_ field: String = "string") throws(Failure) -> String {
        let n = Int(try u16(field + " length"))
        return try utf8(try raw(n, field), field)
    }

    /// u32 length + bytes.
    @inlinable public mutating func blob(_ field: String = "blob") throws(Failure) -> [UInt8] {
        let n = Int(try u32(field + " length"))
        return try raw(n, field)
    }

    /// u32 length + UTF-8.
    @inlinable public mutating func string(_ field: String = "string") throws(Failure) -> String {
        try utf8(try blob(field), field)
    }

    /// Everything that is left.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// A u32 count of items, each at least `itemBytesMin` long: refuses counts the remaining
    /// bytes cannot hold, so callers may reserve capacity for it.
    public mutating func count(_ field: String, itemBytesMin: Int) throws(Failure) -> Int {
        let n = Int(try u32(field + " count"))
        if n > remaining / max(itemBytesMin, 1) {
            throw .truncated(field: field, needed: n * itemBytesMin, remaining: remaining)
        }
        return n
    }

    /// Throws unless every byte was read.
    public func finish(_ field: String) throws(Failure) {
        if remaining != 0 { throw .trailingBytes(field: field, count: remaining) }
    }

    @inlinable public func utf8(_ b: [UInt8], _ field: String) throws(Failure) -> String {
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return s
    }
}
