/// A response as handlers build it; the server adds framing headers when it serializes.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text body, as Go's `fmt.Fprint` after `WriteHeader` produces (Consul's error style).
    public static func text(_ status: Int, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var h = headers
        h.set("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: h, body: Array(text.utf8))
    }
}

/// Writes HTTP/1.1 response heads and bodies into a byte buffer.
public enum HTTPResponseSerializer {
    /// Appends the whole response. `date` is the preformatted `Date` value (cached by the caller).
    /// `headOnly` omits the body but keeps its Content-Length (HEAD requests).
    public static func write(_ response: HTTPResponse, keepAlive: Bool, date: String?, headOnly: Bool = false,
                             into out: inout [UInt8]) {
        write(response, keepAlive: keepAlive, date: date, headOnly: headOnly, chunked: false, into: &out)
    }

    /// The head of a streamed response (`Transfer-Encoding: chunked`); chunks follow with
    /// `writeChunk`, and an empty chunk ends it.
    public static func writeChunkedHead(_ response: HTTPResponse, keepAlive: Bool, date: String?, into out: inout [UInt8]) {
        write(response, keepAlive: keepAlive, date: date, headOnly: true, chunked: true, into: &out)
    }

    /// One chunk (`size CRLF data CRLF`); an empty one is the last chunk.
    public static func writeChunk(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: String(bytes.count, radix: 16).utf8)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: bytes)
        out.append(contentsOf: "\r\n".utf8)
    }

    private static func write(_ response: HTTPResponse, keepAlive: Bool, date: String?, headOnly: Bool, chunked: Bool,
                              into out: inout [UInt8]) {
        out.reserveCapacity(out.count + 160 + response.body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status, into: &out)
        out.append(32)
        out.append(contentsOf: reasonPhrase(response.status).utf8)
        out.append(contentsOf: "\r\n".utf8)
        for field in response.headers.fields {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if let date {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: date.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if chunked {
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        } else if response.status >= 200 && response.status != 204 && response.status != 304 {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, into: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        if !headOnly { out.append(contentsOf: response.body) }
    }

    /// The interim response that lets a client waiting on `Expect: 100-continue` send its body.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

public func appendDecimal(_ value: Int, into out: inout [UInt8]) {
    if value == 0 { out.append(48); return }
    var v = value
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
        if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
        while v > 0 { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 }
        while n > 0 { n -= 1; out.append(d[n]) }
    }
}

public func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: return "Continue"
    case 200: return "OK"
    case 204: return "No Content"
    case 301: return "Moved Permanently"
    case 304: return "Not Modified"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 408: return "Request Timeout"
    case 409: return "Conflict"
    case 413: return "Request Entity Too Large"
    case 415: return "Unsupported Media Type"
    case 429: return "Too Many Requests"
    case 431: return "Request Header Fields Too Large"
    case 500: return "Internal Server Error"
    case 501: return "Not Implemented"
    case 503: return "Service Unavailable"
    case 505: return "HTTP Version Not Supported"
    default: return "Status"
    }
}
