import ConsulAPI
import HTTP1

/// A client agent's HTTP request carried to a server over the RPC (`forwardHTTP`), and the
/// server's response carried back. Layout (docs/rpc.md): strings and byte blobs are u32
/// big-endian length + bytes; header lists are a u32 count of (name, value) pairs.
///   request  = method, target, headers, body
///   response = status (u16), headers, body
public enum ForwardedHTTP {
    public struct DecodeError: Error {}

    /// How long a forwarded request may take before the forwarder answers with an error: a
    /// blocking query its wait (default 5 min, at most 10) plus the jitter and a margin; anything
    /// else 20 s, so a frozen server cannot hang the caller (its datacenter is marked failed
    /// by gossip meanwhile, and later requests are refused at once).
    public static func timeoutNanoseconds(for request: HTTPRequest) -> UInt64 {
        guard let index = request.query["index"].flatMap(UInt64.init), index > 0 else { return 20_000_000_000 }
        let maxWait = UInt64(10 * GoDuration.minute)
        var wait = request.query["wait"].flatMap(GoDuration.parse).map { UInt64(max(0, $0)) } ?? UInt64(5 * GoDuration.minute)
        if wait == 0 || wait > maxWait { wait = maxWait }
        return wait + wait / 16 + 10_000_000_000
    }

    public static func encode(_ request: HTTPRequest) -> [UInt8] {
        var out: [UInt8] = []
        put(&out, Array(request.method.utf8))
        put(&out, Array(request.target.utf8))
        putHeaders(&out, request.headers)
        put(&out, request.body)
        return out
    }

    public static func decodeRequest(_ bytes: [UInt8]) throws -> HTTPRequest {
        var r = Reader(bytes: bytes)
        let method = try r.string(), target = try r.string()
        let headers = try r.headers()
        let body = try r.blob()
        guard r.offset == bytes.count else { throw DecodeError() }
        return try HTTPRequest(method: method, target: target, headers: headers, body: body)
    }

    public static func encode(_ response: HTTPResponse) -> [UInt8] {
        var out: [UInt8] = [UInt8(truncatingIfNeeded: response.status >> 8), UInt8(truncatingIfNeeded: response.status)]
        putHeaders(&out, response.headers)
        put(&out, response.body)
        return out
    }

    public static func decodeResponse(_ bytes: [UInt8]) throws -> HTTPResponse {
        guard bytes.count >= 2 else { throw DecodeError() }
        var r = Reader(bytes: bytes, offset: 2)
        let status = Int(bytes[0]) << 8 | Int(bytes[1])
        let headers = try r.headers()
        let body = try r.blob()
        guard r.offset == bytes.count, (100...599).contains(status) else { throw DecodeError() }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    private static func put(_ out: inout [UInt8], _ bytes: [UInt8]) {
        let n = UInt32(bytes.count)
        out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        out += bytes
    }

    private static func putHeaders(_ out: inout [UInt8], _ headers: HTTPHeaders) {
        let n = UInt32(headers.fields.count)
        out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        for field in headers.fields {
            put(&out, Array(field.name.utf8))
            put(&out, Array(field.value.utf8))
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        mutating func length() throws -> Int {
            guard bytes.count - offset >= 4 else { throw DecodeError() }
            let n = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4
            guard n <= bytes.count - offset else { throw DecodeError() }
            return n
        }
        mutating func blob() throws -> [UInt8] {
            let n = try length()
            defer { offset += n }
            return Array(bytes[offset..<offset + n])
        }
        mutating func string() throws -> String { String(decoding: try blob(), as: UTF8.self) }
        mutating func headers() throws -> HTTPHeaders {
            let count = try length() // bounded by the remaining bytes: each pair takes ≥ 8
            var fields: [(String, String)] = []
            for _ in 0..<count { fields.append((try string(), try string())) }
            return HTTPHeaders(fields)
        }
    }
}
