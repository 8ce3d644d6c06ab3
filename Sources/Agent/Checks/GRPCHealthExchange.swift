/// Just enough plaintext HTTP/2 (h2c with prior knowledge, RFC 9113) and gRPC to call
/// `grpc.health.v1.Health/Check` once: the client preface, one HEADERS + DATA request on stream
/// 1, SETTINGS/PING acknowledgements, and the response's DATA. Response headers are never
/// decoded (no HPACK decoder is needed): the health answer is the DATA message; a stream that
/// ends without one is a failed call. Pure: bytes in, bytes out.
struct GRPCHealthExchange {
    enum Outcome: Equatable {
        /// `HealthCheckResponse.status` (1 = SERVING).
        case status(Int)
        case failed(String)
    }

    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let maxFrameBytes = 1 << 20

    private var buffer: [UInt8] = []
    private var message: [UInt8] = []
    private(set) var outcome: Outcome?

    // MARK: Request

    /// Preface, empty SETTINGS, then the call on stream 1 ending the stream.
    static func request(authority: String, service: String) -> [UInt8] {
        var out = preface
        out += frame(type: 0x4, flags: 0, stream: 0, payload: [])
        var headers: [UInt8] = []
        for (name, value) in [(":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/Check"),
                              (":authority", authority), ("content-type", "application/grpc"), ("te", "trailers")] {
            // HPACK literal without indexing, new name, no Huffman (RFC 7541 §6.2.2).
            headers.append(0)
            hpackString(name, into: &headers)
            hpackString(value, into: &headers)
        }
        out += frame(type: 0x1, flags: 0x4, stream: 1, payload: headers)   // END_HEADERS
        // HealthCheckRequest { string service = 1; } in a gRPC length-prefixed message.
        var body: [UInt8] = []
        if !service.isEmpty {
            body.append(0x0A)
            varint(UInt64(service.utf8.count), into: &body)
            body += Array(service.utf8)
        }
        var grpc: [UInt8] = [0]
        grpc += withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init)
        grpc += body
        out += frame(type: 0x0, flags: 0x1, stream: 1, payload: grpc)      // END_STREAM
        return out
    }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(payload.count >> 16 & 0xFF), UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF),
                            type, flags]
        out += withUnsafeBytes(of: (stream & 0x7FFF_FFFF).bigEndian, Array.init)
        return out + payload
    }

    static func hpackString(_ s: String, into out: inout [UInt8]) {
        let bytes = Array(s.utf8)
        hpackInteger(bytes.count, prefixBits: 7, into: &out)
        out += bytes
    }

    static func hpackInteger(_ value: Int, prefixBits: Int, into out: inout [UInt8]) {
        let limit = (1 << prefixBits) - 1
        if value < limit { out.append(UInt8(value)); return }
        out.append(UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest & 0x7F | 0x80))
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F | 0x80))
            v >>= 7
        }
        out.append(UInt8(v))
    }

    // MARK: Response

    /// Feeds received bytes; returns what must be written back (SETTINGS and PING acks).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard outcome == nil else { return [] }
        buffer.append(contentsOf: bytes)
        var reply: [UInt8] = []
        var offset = 0
        while buffer.count - offset >= 9 {
            let length = Int(buffer[offset]) << 16 | Int(buffer[offset + 1]) << 8 | Int(buffer[offset + 2])
            guard length <= GRPCHealthExchange.maxFrameBytes else { outcome = .failed("HTTP/2 frame too large"); return reply }
            guard buffer.count - offset >= 9 + length else { break }
            let type = buffer[offset + 3], flags = buffer[offset + 4]
            let stream = (UInt32(buffer[offset + 5]) << 24 | UInt32(buffer[offset + 6]) << 16
                | UInt32(buffer[offset + 7]) << 8 | UInt32(buffer[offset + 8])) & 0x7FFF_FFFF
            let payload = Array(buffer[(offset + 9)..<(offset + 9 + length)])
            offset += 9 + length
            handle(type: type, flags: flags, stream: stream, payload: payload, reply: &reply)
            if outcome != nil { break }
        }
        buffer.removeFirst(offset)
        return reply
    }

    /// The connection closed: whatever is complete decides.
    mutating func closed() {
        if outcome == nil { outcome = decodeMessage() ?? .failed("connection closed before a health response") }
    }

    private mutating func handle(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8], reply: inout [UInt8]) {
        switch type {
        case 0x0 where stream == 1:   // DATA
            var data = payload[...]
            if flags & 0x8 != 0, let pad = data.first {   // PADDED
                data = data.dropFirst()
                data = data.dropLast(min(Int(pad), data.count))
            }
            message += data
            if flags & 0x1 != 0 { outcome = decodeMessage() ?? .failed("stream ended without a health response") }
        case 0x1 where stream == 1:   // HEADERS: response headers, or trailers ending the stream
            if flags & 0x1 != 0 { outcome = decodeMessage() ?? .failed("the server ended the call without a health response (grpc error)") }
        case 0x3 where stream == 1:   // RST_STREAM
            let code = payload.count >= 4 ? Int(payload[0]) << 24 | Int(payload[1]) << 16 | Int(payload[2]) << 8 | Int(payload[3]) : -1
            outcome = .failed("stream reset by the server (HTTP/2 error \(code))")
        case 0x4 where flags & 0x1 == 0:   // SETTINGS (not an ack)
            reply += GRPCHealthExchange.frame(type: 0x4, flags: 0x1, stream: 0, payload: [])
        case 0x6 where flags & 0x1 == 0:   // PING
            reply += GRPCHealthExchange.frame(type: 0x6, flags: 0x1, stream: 0, payload: payload)
        case 0x7:                          // GOAWAY
            if decodeMessage() == nil { outcome = .failed("the server sent GOAWAY") }
        default:
            break
        }
    }

    /// The first gRPC message's `status` field, once the whole message arrived.
    private func decodeMessage() -> Outcome? {
        guard message.count >= 5 else { return nil }
        if message[0] != 0 { return .failed("compressed gRPC responses are not supported") }
        let length = Int(message[1]) << 24 | Int(message[2]) << 16 | Int(message[3]) << 8 | Int(message[4])
        guard message.count >= 5 + length else { return nil }
        var i = 5
        let end = 5 + length
        var status = 0   // proto3 default: UNKNOWN
        while i < end {
            let tag = message[i]
            i += 1
            switch tag & 0x7 {
            case 0:   // varint
                var value: UInt64 = 0, shift: UInt64 = 0
                while i < end {
                    let b = message[i]
                    i += 1
                    value |= UInt64(b & 0x7F) << shift
                    if b & 0x80 == 0 { break }
                    shift += 7
                    if shift > 63 { return .failed("malformed health response") }
                }
                if tag >> 3 == 1 { status = Int(truncatingIfNeeded: value) }
            case 2:   // length-delimited: skip
                var length = 0, shift = 0
                while i < end {
                    let b = message[i]
                    i += 1
                    length |= Int(b & 0x7F) << shift
                    if b & 0x80 == 0 { break }
                    shift += 7
                    if shift > 28 { return .failed("malformed health response") }
                }
                i += length
            case 5: i += 4
            case 1: i += 8
            default: return .failed("malformed health response")
            }
        }
        return .status(status)
    }

    /// grpc.health.v1 `ServingStatus` names.
    static func statusName(_ status: Int) -> String {
        switch status {
        case 0: return "UNKNOWN"
        case 1: return "SERVING"
        case 2: return "NOT_SERVING"
        case 3: return "SERVICE_UNKNOWN"
        default: return "status \(status)"
        }
    }
}
