import Wire
import ConsulState

/// Request and response payloads carried in request/response frames (docs/rpc.md).

/// What a request asks of the receiving server. Codes are append-only.
public enum RPCMethod: UInt8, Sendable {
    /// Propose a command on the leader; body: the encoded command; reply: `CommandResult`.
    case apply = 1
    /// Confirm leadership and return the commit index for a linearizable read; reply: u64 index.
    case readIndex = 2
    /// Serve an HTTP request on the leader; body and reply: the HTTP/1.1 bytes.
    case forwardHTTP = 3
    /// The server's view of the Raft peers; reply: a list of strings.
    case peers = 4
    /// Answer a DNS query from the server's catalog (or its datacenter's, named in the query);
    /// body: `flags u8` (docs/rpc.md) then the query message; reply: the answer message.
    case dnsQuery = 5
}

/// `method u8, deadlineMilliseconds u32, body (the rest)`.
public struct RPCRequest: Equatable, Sendable {
    public var method: RPCMethod
    /// How long the caller will wait, from when the receiver reads the frame; the receiver
    /// answers `.timeout` rather than work past it. Relative, so clocks need not agree.
    public var deadlineMilliseconds: UInt32
    public var body: [UInt8]

    public init(method: RPCMethod, deadlineMilliseconds: UInt32, body: [UInt8] = []) {
        self.method = method
        self.deadlineMilliseconds = deadlineMilliseconds
        self.body = body
    }

    public func encode() -> [UInt8] {
        var w = RPCWriter(capacity: 5 + body.count)
        w.u8(method.rawValue)
        w.u32(deadlineMilliseconds)
        w.raw(body)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(RPCDecodeError) -> RPCRequest {
        var r = RPCReader(bytes)
        let raw = try r.u8("request method")
        guard let method = RPCMethod(rawValue: raw) else { throw .unknownTag(field: "request method", value: raw) }
        let deadline = try r.u32("request deadline")
        return RPCRequest(method: method, deadlineMilliseconds: deadline, body: r.rest())
    }
}

/// Why a request failed. Codes are append-only; 0 is reserved for "ok" on the wire.
public enum RPCErrorCode: UInt8, Sendable {
    /// No leader is known; retry after an election.
    case noLeader = 1
    /// This server is not the leader (the message names the leader when known).
    case notLeader = 2
    /// The deadline passed before the answer was known.
    case timeout = 3
    /// The state machine or Raft refused the request.
    case rejected = 4
    /// The request could not be decoded.
    case badRequest = 5
    case `internal` = 6
}

/// `status u8`: 0 then the body (the rest), or an error code then a UTF-8 message (the rest).
public enum RPCResponse: Equatable, Sendable {
    case ok([UInt8])
    case error(code: RPCErrorCode, message: String)

    public func encode() -> [UInt8] {
        var w = RPCWriter()
        switch self {
        case .ok(let body):
            w.u8(0)
            w.raw(body)
        case .error(let code, let message):
            w.u8(code.rawValue)
            w.raw(message)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(RPCDecodeError) -> RPCResponse {
        var r = RPCReader(bytes)
        let status = try r.u8("response status")
        if status == 0 { return .ok(r.rest()) }
        guard let code = RPCErrorCode(rawValue: status) else { throw .unknownTag(field: "response status", value: status) }
        let message = try r.utf8(r.rest(), "response error message")
        return .error(code: code, message: message)
    }
}

/// Encodings of the reply bodies inside `.ok`.
public enum RPCReplyCodec {
    /// `1, value u8` for `.bool`; `2, UTF-8 reason (the rest)` for `.failure`.
    public static func encode(_ result: CommandResult) -> [UInt8] {
        var w = RPCWriter()
        switch result {
        case .bool(let v):
            w.u8(1)
            w.bool(v)
        case .failure(let reason):
            w.u8(2)
            w.raw(reason)
        case .json(let ok, let body):
            w.u8(3)
            w.bool(ok)
            w.raw(body)
        }
        return w.bytes
    }

    public static func decodeCommandResult(_ bytes: [UInt8]) throws(RPCDecodeError) -> CommandResult {
        var r = RPCReader(bytes)
        switch try r.u8("command result tag") {
        case 1:
            let v = try r.bool("command result bool")
            try r.finish("command result")
            return .bool(v)
        case 2:
            return .failure(try r.utf8(r.rest(), "command result failure"))
        case 3:
            let ok = try r.bool("command result ok")
            return .json(ok: ok, body: r.rest())
        case let tag:
            throw .unknownTag(field: "command result", value: tag)
        }
    }

    /// u64, exactly eight bytes (the readIndex reply).
    public static func encode(index: UInt64) -> [UInt8] {
        var w = RPCWriter(capacity: 8)
        w.u64(index)
        return w.bytes
    }

    public static func decodeIndex(_ bytes: [UInt8]) throws(RPCDecodeError) -> UInt64 {
        var r = RPCReader(bytes)
        let index = try r.u64("index")
        try r.finish("index")
        return index
    }

    /// `count u32`, then each string as u32 length + UTF-8 (the peers reply).
    public static func encode(strings: [String]) -> [UInt8] {
        var w = RPCWriter()
        precondition(strings.count <= Int(UInt32.max), "rpc: \(strings.count) strings do not fit a u32 count")
        w.u32(UInt32(strings.count))
        for s in strings { w.blob(Array(s.utf8)) }
        return w.bytes
    }

    public static func decodeStrings(_ bytes: [UInt8]) throws(RPCDecodeError) -> [String] {
        var r = RPCReader(bytes)
        let count = try r.count("strings", itemBytesMin: 4)
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(try r.utf8(try r.blob("string"), "string"))
        }
        try r.finish("strings")
        return out
    }
}
