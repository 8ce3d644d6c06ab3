/// msgpack as memberlist and serf speak it (../shared/reference/gossip-wire.md §4): go-msgpack
/// 0.5.5 with a zero-valued handle. The writer emits exactly what Go emits (strings and byte
/// slices both as raw str, never str8 or bin; integers in the smallest form for their value);
/// the reader accepts any valid msgpack, because other implementations may send it.

/// Builds one msgpack value after another into `bytes`.
public struct MsgPackWriter: Sendable {
    public var bytes: [UInt8] = []

    public init() {}
    public init(reservingCapacity n: Int) { bytes.reserveCapacity(n) }

    public mutating func writeNil() { bytes.append(0xC0) }

    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 0xC3 : 0xC2) }

    /// Go picks the form by value, not by the field's type.
    public mutating func writeUInt(_ v: UInt64) {
        switch v {
        case 0...0x7F: bytes.append(UInt8(v))
        case 0x80...0xFF: bytes.append(0xCC); bytes.append(UInt8(v))
        case 0x100...0xFFFF: bytes.append(0xCD); appendBigEndian(v, byteCount: 2)
        case 0x1_0000...0xFFFF_FFFF: bytes.append(0xCE); appendBigEndian(v, byteCount: 4)
        default: bytes.append(0xCF); appendBigEndian(v, byteCount: 8)
        }
    }

    /// Non-negative values take the unsigned forms, as go-msgpack does.
    public mutating func writeInt(_ v: Int64) {
        if v >= 0 { writeUInt(UInt64(v)); return }
        let bits = UInt64(bitPattern: v)
        switch v {
        case -32 ... -1: bytes.append(UInt8(truncatingIfNeeded: bits))
        case Int64(Int8.min) ... -33: bytes.append(0xD0); appendBigEndian(bits, byteCount: 1)
        case Int64(Int16.min) ... Int64(Int8.min) - 1: bytes.append(0xD1); appendBigEndian(bits, byteCount: 2)
        case Int64(Int32.min) ... Int64(Int16.min) - 1: bytes.append(0xD2); appendBigEndian(bits, byteCount: 4)
        default: bytes.append(0xD3); appendBigEndian(bits, byteCount: 8)
        }
    }

    public mutating func writeFloat64(_ v: Double) {
        bytes.append(0xCB)
        appendBigEndian(v.bitPattern, byteCount: 8)
    }

    /// A Go string and a Go []byte both travel as raw str: fixstr, then `da`, then `db`; never `d9`.
    public mutating func writeRaw(_ raw: [UInt8]) {
        writeRawHeader(raw.count)
        bytes.append(contentsOf: raw)
    }

    public mutating func writeString(_ s: String) {
        let utf8 = s.utf8
        writeRawHeader(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    /// A nil Go slice is `c0`; an empty non-nil one is an empty raw.
    public mutating func writeOptionalRaw(_ raw: [UInt8]?) {
        if let raw { writeRaw(raw) } else { writeNil() }
    }

    public mutating func writeMapHeader(_ count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "msgpack map of \(count) entries")
        if count < 16 { bytes.append(0x80 | UInt8(count)) }
        else if count <= 0xFFFF { bytes.append(0xDE); appendBigEndian(UInt64(count), byteCount: 2) }
        else { bytes.append(0xDF); appendBigEndian(UInt64(count), byteCount: 4) }
    }

    public mutating func writeArrayHeader(_ count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "msgpack array of \(count) entries")
        if count < 16 { bytes.append(0x90 | UInt8(count)) }
        else if count <= 0xFFFF { bytes.append(0xDC); appendBigEndian(UInt64(count), byteCount: 2) }
        else { bytes.append(0xDD); appendBigEndian(UInt64(count), byteCount: 4) }
    }

    private mutating func writeRawHeader(_ count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "msgpack raw of \(count) bytes")
        if count < 32 { bytes.append(0xA0 | UInt8(count)) }
        else if count <= 0xFFFF { bytes.append(0xDA); appendBigEndian(UInt64(count), byteCount: 2) }
        else { bytes.append(0xDB); appendBigEndian(UInt64(count), byteCount: 4) }
    }

    private mutating func appendBigEndian(_ v: UInt64, byteCount: Int) {
        var shift = (byteCount - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
            shift -= 8
        }
    }
}

/// One decoded msgpack value. str and bin both become `.raw`: Go fields that hold text and fields
/// that hold bytes share the raw encoding, and the field's type decides what the bytes mean.
public indirect enum MsgPackValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// Every integer encoding, kept exactly (negative values only ever come from signed forms).
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case raw([UInt8])
    case array([MsgPackValue])
    case map([MsgPackEntry])
    /// An extension value: not used on the gossip wire, read only to be skipped.
    case ext(type: Int8, data: [UInt8])
}

public struct MsgPackEntry: Equatable, Sendable {
    public var key: MsgPackValue
    public var value: MsgPackValue
    public init(key: MsgPackValue, value: MsgPackValue) { self.key = key; self.value = value }
}

/// What a decoder's error must be able to say: the bytes ran out (a stream reader waits for
/// more), or they are not valid msgpack within our bounds.
public protocol MsgPackDecodeFailure: Error {
    static var truncated: Self { get }
    static func malformed(_ why: String) -> Self
}

/// Reads msgpack values from a buffer. Running out of bytes throws `.truncated` (a stream reader
/// waits for more); anything else wrong throws `.malformed`. A declared length is checked
/// against the bytes that remain before anything is allocated, and nesting is bounded.
public struct MsgPackReader<Failure: MsgPackDecodeFailure> {
    /// Deeper nesting than any gossip message needs (serf push/pull uses five levels).
    public static var depthMax: Int { 32 }
    /// memberlist's own bound on a whole stream (maxPushStateBytes, 20 MiB).
    public static var declaredLengthMax: Int { 20 << 20 }

    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
        precondition(start >= 0 && start <= self.end && self.end <= bytes.count)
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    public mutating func readByte() throws(Failure) -> UInt8 {
        guard position < end else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` raw bytes that follow (not msgpack framed): the tails of push/pull and user messages.
    public mutating func readBytes(_ count: Int) throws(Failure) -> [UInt8] {
        guard count >= 0 else { throw .malformed("negative length \(count)") }
        guard count <= remaining else { throw .truncated }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    private mutating func readBigEndian(_ byteCount: Int) throws(Failure) -> UInt64 {
        guard byteCount <= remaining else { throw .truncated }
        var v: UInt64 = 0
        for i in 0..<byteCount { v = v << 8 | UInt64(bytes[position + i]) }
        position += byteCount
        return v
    }

    /// The length of a raw or container. Beyond `declaredLengthMax` it is hostile, not merely
    /// unfinished: a stream reader must not wait for gigabytes.
    private mutating func readLength(_ byteCount: Int) throws(Failure) -> Int {
        let n = try readBigEndian(byteCount)
        guard n <= UInt64(Self.declaredLengthMax) else {
            throw .malformed("msgpack declares \(n) bytes or entries, more than \(Self.declaredLengthMax)")
        }
        return Int(n)
    }

    public mutating func readValue(depth: Int = 0) throws(Failure) -> MsgPackValue {
        guard depth < Self.depthMax else { throw .malformed("msgpack nested deeper than \(Self.depthMax)") }
        let b = try readByte()
        switch b {
        case 0x00...0x7F: return .uint(UInt64(b))
        case 0x80...0x8F: return try readMap(count: Int(b & 0x0F), depth: depth)
        case 0x90...0x9F: return try readArray(count: Int(b & 0x0F), depth: depth)
        case 0xA0...0xBF: return .raw(try readBytes(Int(b & 0x1F)))
        case 0xC0: return .null
        case 0xC1: throw .malformed("msgpack byte 0xc1 is never used")
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xC4: return .raw(try readBytes(try readLength(1)))
        case 0xC5: return .raw(try readBytes(try readLength(2)))
        case 0xC6: return .raw(try readBytes(try readLength(4)))
        case 0xC7: return try readExt(length: try readLength(1))
        case 0xC8: return try readExt(length: try readLength(2))
        case 0xC9: return try readExt(length: try readLength(4))
        case 0xCA: return .float(Double(Float(bitPattern: UInt32(try readBigEndian(4)))))
        case 0xCB: return .float(Double(bitPattern: try readBigEndian(8)))
        case 0xCC: return .uint(try readBigEndian(1))
        case 0xCD: return .uint(try readBigEndian(2))
        case 0xCE: return .uint(try readBigEndian(4))
        case 0xCF: return .uint(try readBigEndian(8))
        case 0xD0: return .int(Int64(Int8(truncatingIfNeeded: try readBigEndian(1))))
        case 0xD1: return .int(Int64(Int16(truncatingIfNeeded: try readBigEndian(2))))
        case 0xD2: return .int(Int64(Int32(truncatingIfNeeded: try readBigEndian(4))))
        case 0xD3: return .int(Int64(bitPattern: try readBigEndian(8)))
        case 0xD4: return try readExt(length: 1)
        case 0xD5: return try readExt(length: 2)
        case 0xD6: return try readExt(length: 4)
        case 0xD7: return try readExt(length: 8)
        case 0xD8: return try readExt(length: 16)
        case 0xD9: return .raw(try readBytes(try readLength(1)))
        case 0xDA: return .raw(try readBytes(try readLength(2)))
        case 0xDB: return .raw(try readBytes(try readLength(4)))
        case 0xDC: return try readArray(count: try readLength(2), depth: depth)
        case 0xDD: return try readArray(count: try readLength(4), depth: depth)
        case 0xDE: return try readMap(count: try readLength(2), depth: depth)
        case 0xDF: return try readMap(count: try readLength(4), depth: depth)
        default: return .int(Int64(Int8(bitPattern: b)))  // 0xE0...0xFF: negative fixint
        }
    }

    /// Reads a map's header only; the caller reads `count` key/value pairs after it.
    public mutating func readMapHeader() throws(Failure) -> Int {
        let b = try readByte()
        switch b {
        case 0x80...0x8F: return Int(b & 0x0F)
        case 0xDE: return try readLength(2)
        case 0xDF: return try readLength(4)
        default: throw .malformed("expected a msgpack map, found byte 0x\(Hex.encode([b]))")
        }
    }

    private mutating func readExt(length: Int) throws(Failure) -> MsgPackValue {
        let type = Int8(bitPattern: try readByte())
        return .ext(type: type, data: try readBytes(length))
    }

    private mutating func readArray(count: Int, depth: Int) throws(Failure) -> MsgPackValue {
        // Every element takes at least one byte, so a longer declaration cannot be satisfied.
        guard count <= remaining else { throw .truncated }
        var items: [MsgPackValue] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try readValue(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func readMap(count: Int, depth: Int) throws(Failure) -> MsgPackValue {
        guard count <= remaining / 2 else { throw .truncated }
        var entries: [MsgPackEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readValue(depth: depth + 1)
            let value = try readValue(depth: depth + 1)
            entries.append(MsgPackEntry(key: key, value: value))
        }
        return .map(entries)
    }
}


