import Wire

/// The error of the big-endian codecs shared by the RPC frame, Raft message and request/response codecs
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

/// The server codecs read and write big endian (docs/rpc.md) with Wire's byte codec.
typealias RPCReader = ByteReader<RPCDecodeError>
typealias RPCWriter = ByteWriter

extension RPCDecodeError: ByteDecodeFailure {}

extension ByteReader where Failure == RPCDecodeError {
    init(_ bytes: [UInt8], offset: Int = 0) { self.init(bytes, order: .bigEndian, offset: offset) }
}

extension ByteWriter {
    init(capacity: Int = 0) { self.init(order: .bigEndian, capacity: capacity) }
}
