import Wire
/// Framing for server-to-server RPC on the server port (8300); the format is in docs/rpc.md.
/// Pure: the transport feeds received bytes in and writes encoded frames out.

/// The four bytes an initiating server writes before its first frame: magic `SCR` and
/// protocol version 1 as the ASCII digit, so the preamble reads "SCR1" in a packet dump.
public enum RPCPreamble {
    public static let version: UInt8 = 0x31 // "1"
    public static let bytes: [UInt8] = [0x53, 0x43, 0x52, version] // "SCR1"

    /// Checks the first four bytes an accepted connection received. A wrong version is told
    /// apart from a wrong magic so the log says "upgrade" rather than "not a Consul server".
    public static func check(_ received: [UInt8]) throws(RPCDecodeError) {
        guard received.count == bytes.count else { throw .badPreamble(received) }
        guard received[0..<3] == bytes[0..<3] else { throw .badPreamble(received) }
        guard received[3] == version else { throw .unsupportedVersion(received[3]) }
    }
}

public enum RPCFrameKind: UInt8, Sendable {
    /// A `Raft.Message` (RaftMessageCodec); one-way, correlation id 0.
    case raft = 1
    /// An `RPCRequest`; the id is chosen by the sender and echoed in the response.
    case request = 2
    /// An `RPCResponse` to the request with the same id.
    case response = 3
}

/// `[u32 BE length of what follows][u8 kind][u64 BE id][payload]`.
public struct RPCFrame: Equatable, Sendable {
    /// Kind + id: the smallest legal value of the length field.
    public static let headerBytesAfterLength = 9
    /// The length field itself.
    public static let lengthBytes = 4
    /// The default limit on the length field on the server port.
    public static let frameBytesMaxDefault = 64 * 1024 * 1024

    public var kind: RPCFrameKind
    public var id: UInt64
    public var payload: [UInt8]

    public init(kind: RPCFrameKind, id: UInt64, payload: [UInt8]) {
        self.kind = kind
        self.id = id
        self.payload = payload
    }

    public static func raft(_ payload: [UInt8]) -> RPCFrame { RPCFrame(kind: .raft, id: 0, payload: payload) }

    /// The value of the length field: what the receiver checks against its `frameBytesMax`.
    public var declaredLength: Int { Self.headerBytesAfterLength + payload.count }

    public func encode() -> [UInt8] {
        let length = declaredLength
        precondition(length <= Int(UInt32.max), "rpc: frame payload of \(payload.count) bytes does not fit a u32 length")
        var w = RPCWriter(capacity: Self.lengthBytes + length)
        w.u32(UInt32(length))
        w.u8(kind.rawValue)
        w.u64(id)
        w.raw(payload)
        return w.bytes
    }
}

/// Cuts a TCP byte stream into frames. Bytes are consumed through a read offset; the buffer is
/// compacted only once the consumed prefix is at least half of it, so each byte is moved at
/// most a constant number of times however the stream is split.
///
/// After `next()` throws, the stream is out of sync: the decoder keeps throwing the same error
/// and the caller closes the connection.
public struct RPCFrameDecoder: Sendable {
    public let frameBytesMax: Int
    private var buffer: [UInt8] = []
    private var readOffset = 0
    private var awaitingPreamble: Bool
    private var failure: RPCDecodeError?

    /// Compact only past this many consumed bytes: small prefixes are cheaper to keep.
    private static let compactBytesMin = 4096
    /// An emptied buffer above this capacity is released, so one large snapshot chunk does not
    /// pin its memory for the life of the connection.
    private static let retainedCapacityMax = 1024 * 1024

    /// - Parameters:
    ///   - frameBytesMax: the largest accepted length field (kind + id + payload).
    ///   - expectsPreamble: true on the accepting side, which first reads and checks `SCR1`.
    public init(frameBytesMax: Int = RPCFrame.frameBytesMaxDefault, expectsPreamble: Bool = false) {
        precondition(frameBytesMax >= RPCFrame.headerBytesAfterLength, "rpc: frameBytesMax \(frameBytesMax) is below the 9-byte header")
        self.frameBytesMax = frameBytesMax
        self.awaitingPreamble = expectsPreamble
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readOffset }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(RPCDecodeError) -> RPCFrame? {
        if let failure { throw failure }
        do {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func decodeNext() throws(RPCDecodeError) -> RPCFrame? {
        if awaitingPreamble {
            let n = RPCPreamble.bytes.count
            guard bufferedByteCount >= n else { return nil }
            try RPCPreamble.check(Array(buffer[readOffset..<(readOffset + n)]))
            readOffset += n
            awaitingPreamble = false
        }
        guard bufferedByteCount >= RPCFrame.lengthBytes else { return nil }
        var length: UInt32 = 0
        for i in readOffset..<(readOffset + RPCFrame.lengthBytes) { length = length << 8 | UInt32(buffer[i]) }
        // Checked before the body arrives, so a hostile length is refused without buffering it.
        if Int(length) > frameBytesMax { throw .frameTooLarge(declared: length, max: frameBytesMax) }
        if Int(length) < RPCFrame.headerBytesAfterLength { throw .frameTooShort(declared: length) }
        let kindAt = readOffset + RPCFrame.lengthBytes
        if buffer.count > kindAt, RPCFrameKind(rawValue: buffer[kindAt]) == nil {
            throw .unknownFrameKind(buffer[kindAt])
        }
        let end = kindAt + Int(length)
        guard buffer.count >= end else { return nil }
        guard let kind = RPCFrameKind(rawValue: buffer[kindAt]) else { throw .unknownFrameKind(buffer[kindAt]) }
        var id: UInt64 = 0
        for i in (kindAt + 1)..<(kindAt + RPCFrame.headerBytesAfterLength) { id = id << 8 | UInt64(buffer[i]) }
        let payload = Array(buffer[(kindAt + RPCFrame.headerBytesAfterLength)..<end])
        readOffset = end
        if readOffset == buffer.count { resetBuffer() }
        return RPCFrame(kind: kind, id: id, payload: payload)
    }

    private mutating func compactIfWorthwhile() {
        if readOffset == buffer.count {
            resetBuffer()
        } else if readOffset >= Self.compactBytesMin, readOffset * 2 >= buffer.count {
            buffer.removeSubrange(0..<readOffset)
            readOffset = 0
        }
    }

    private mutating func resetBuffer() {
        if buffer.capacity > Self.retainedCapacityMax {
            buffer = []
        } else {
            buffer.removeAll(keepingCapacity: true)
        }
        readOffset = 0
    }
}
