/// A response as the client side reads it.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var keepAlive: Bool
    /// The reason phrase as the server sent it ("" when absent).
    public var reason: String = ""

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Incremental parser for one HTTP/1.1 response (Content-Length, chunked, or read-to-close).
public struct HTTPResponseParser {
    private var buffer: [UInt8] = []
    private var head: HTTPClientResponse?
    private var framing: Framing = .untilClose
    private enum Framing { case length(Int), chunked, untilClose }

    /// `requestWasHead` means a body is never expected.
    public let requestWasHead: Bool
    public init(requestWasHead: Bool = false) { self.requestWasHead = requestWasHead }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }

    /// A complete response, nil when more bytes are needed. `atEOF` finishes a read-to-close body.
    public mutating func next(atEOF: Bool = false) throws(HTTPParseError) -> HTTPClientResponse? {
        if head == nil {
            guard let end = headEnd() else {
                if atEOF { throw .badRequestLine }
                return nil
            }
            try parseHead(buffer[..<end.headEnd])
            buffer.removeSubrange(..<end.bodyStart)
            // 1xx interim responses (100 Continue) carry no body; skip them.
            if let h = head, h.status >= 100 && h.status < 200 {
                head = nil
                return try next(atEOF: atEOF)
            }
        }
        guard var response = head else { return nil }
        switch framing {
        case .length(let n):
            guard buffer.count >= n else {
                if atEOF { throw .badContentLength }
                // Room for the whole body at once (bounded: the length is the peer's claim).
                if buffer.capacity < n { buffer.reserveCapacity(min(n, 256 << 20)) }
                return nil
            }
            if buffer.count == n {
                response.body = buffer  // the usual case: the body is all that is left, no copy
                buffer = []
            } else {
                response.body = Array(buffer[..<n])
                buffer.removeSubrange(..<n)
            }
        case .untilClose:
            guard atEOF else { return nil }
            response.body = buffer
            buffer = []
        case .chunked:
            guard let (body, consumed) = try dechunk() else {
                if atEOF { throw .badChunk }
                return nil
            }
            response.body = body
            buffer.removeSubrange(..<consumed)
        }
        head = nil
        return response
    }

    private func headEnd() -> (headEnd: Int, bodyStart: Int)? {
        var i = 0
        while i + 1 < buffer.count {
            if buffer[i] == 10 {
                if buffer[i + 1] == 10 { return (i + 1, i + 2) }
                if i + 2 < buffer.count && buffer[i + 1] == 13 && buffer[i + 2] == 10 { return (i + 1, i + 3) }
            }
            i += 1
        }
        return nil
    }

    private mutating func parseHead(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) {
        let text = String(decoding: bytes, as: UTF8.self)
        // "\r\n" is one Character in Swift, so split on both spellings of a line end.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while lines.last == "" { lines.removeLast() }
        guard let statusLine = lines.first else { throw .badRequestLine }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { throw .badRequestLine }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw .badHeader }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingSpaces())
        }
        var keepAlive = parts[0] == "HTTP/1.1"
        if let c = headers["Connection"], headerValueContainsToken(c, "close") { keepAlive = false }
        head = HTTPClientResponse(status: status, headers: headers, body: [], keepAlive: keepAlive,
                                  reason: parts.count > 2 ? String(parts[2]) : "")
        if requestWasHead || status == 204 || status == 304 || (status >= 100 && status < 200) {
            framing = .length(0)
        } else if let te = headers["Transfer-Encoding"], headerValueContainsToken(te, "chunked") {
            framing = .chunked
        } else if let cl = headers["Content-Length"] {
            guard let n = Int(cl), n >= 0 else { throw .badContentLength }
            framing = .length(n)
        } else {
            framing = .untilClose
            head?.keepAlive = false
        }
    }

    private func dechunk() throws(HTTPParseError) -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var i = 0
        while true {
            guard let nl = buffer[i...].firstIndex(of: 10) else { return nil }
            var line = buffer[i..<nl]
            if line.last == 13 { line = line.dropLast() }
            let sizeText = line.prefix { $0 != UInt8(ascii: ";") }
            guard let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16), size >= 0 else { throw .badChunk }
            i = nl + 1
            if size == 0 {
                // Skip trailers up to the empty line.
                while true {
                    guard let end = buffer[i...].firstIndex(of: 10) else { return nil }
                    let empty = end == i || (end == i + 1 && buffer[i] == 13)
                    i = end + 1
                    if empty { return (body, i) }
                }
            }
            guard buffer.count >= i + size + 1 else { return nil }
            body.append(contentsOf: buffer[i..<(i + size)])
            i += size
            if buffer[i] == 13 { i += 1 }
            guard i < buffer.count else { return nil }
            guard buffer[i] == 10 else { throw .badChunk }
            i += 1
        }
    }
}
