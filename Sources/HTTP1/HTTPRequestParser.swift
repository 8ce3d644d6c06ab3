/// Limits the parser enforces before buffering more; each has a named maximum.
public struct HTTPLimits: Sendable {
    /// Request line plus header fields (Go's default MaxHeaderBytes is 1 MiB).
    public var headerBytesMax: Int
    /// Any one body, before any handler-specific limit (KV applies its own 512 KiB rule).
    public var bodyBytesMax: Int

    public init(headerBytesMax: Int = 1 << 20, bodyBytesMax: Int = 64 << 20) {
        self.headerBytesMax = headerBytesMax
        self.bodyBytesMax = bodyBytesMax
    }
}

/// What the parser produced from the bytes fed so far.
public enum HTTPParseEvent: Sendable {
    /// A whole request; call `next()` again, more may be buffered (pipelining).
    case request(HTTPRequest)
    /// The head asked for `Expect: 100-continue` and its body has not arrived yet.
    case continueExpected
    /// Feed more bytes.
    case needMoreData
    /// The stream is unusable; answer `error.status` and close.
    case error(HTTPParseError)
}

/// An incremental, pure HTTP/1.x request parser: feed bytes as they arrive, take requests out.
/// It never touches a socket, so it can be table-tested and fuzzed.
public struct HTTPRequestParser {
    private enum Framing { case none, length(Int), chunked }
    private enum State {
        case head
        case body(head: HTTPRequest, remaining: Int)
        case chunkSize(head: HTTPRequest)
        case chunkData(head: HTTPRequest, remaining: Int)
        case chunkDataEnd(head: HTTPRequest)
        case trailers(head: HTTPRequest)
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    /// A chunk-size line (size plus extensions) longer than this is refused.
    static let chunkLineBytesMax = 1024
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state: State = .head
    private var continueSent = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True while no part of a request is buffered (safe moment for an idle close).
    public var isIdle: Bool {
        if case .head = state { return bufferedByteCount == 0 }
        return false
    }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    public mutating func next() -> HTTPParseEvent {
        while true {
            switch state {
            case .failed(let error):
                return .error(error)
            case .head:
                guard let end = findHeadEnd() else {
                    // The limit counts up to the blank line's first byte; the rest of that line end
                    // (one more byte buffered, one still to come) may belong to a head that fits.
                    if bufferedByteCount > limits.headerBytesMax + 1 { return fail(.headersTooLarge) }
                    return .needMoreData
                }
                if end.headEnd - readIndex > limits.headerBytesMax { return fail(.headersTooLarge) }
                let head: HTTPRequest, framing: Framing
                do { (head, framing) = try parseHead(buffer[readIndex..<end.headEnd]) } catch { return fail(error) }
                readIndex = end.bodyStart
                continueSent = false
                switch framing {
                case .none: state = .head; return .request(head)
                case .length(let n): state = .body(head: head, remaining: n)
                case .chunked: state = .chunkSize(head: head)
                }
            case .body(var head, let remaining):
                let available = bufferedByteCount
                if available < remaining {
                    if let event = continueIfExpected(head) { return event }
                    return .needMoreData
                }
                head.body.append(contentsOf: buffer[readIndex..<(readIndex + remaining)])
                readIndex += remaining
                state = .head
                return .request(head)
            case .chunkSize(let head):
                guard let lineEnd = findLineEnd(from: readIndex) else {
                    if bufferedByteCount > HTTPRequestParser.chunkLineBytesMax { return fail(.badChunk) }
                    if let event = continueIfExpected(head) { return event }
                    return .needMoreData
                }
                // The same cap applies whether the line arrived whole or in pieces.
                if lineEnd.next - 1 - readIndex > HTTPRequestParser.chunkLineBytesMax { return fail(.badChunk) }
                guard let size = parseChunkSize(buffer[readIndex..<lineEnd.contentEnd]) else { return fail(.badChunk) }
                readIndex = lineEnd.next
                if size == 0 {
                    state = .trailers(head: head)
                } else {
                    if head.body.count + size > limits.bodyBytesMax { return fail(.bodyTooLarge) }
                    state = .chunkData(head: head, remaining: size)
                }
            case .chunkData(var head, let remaining):
                let take = min(remaining, bufferedByteCount)
                if take == 0 { return .needMoreData }
                head.body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
                readIndex += take
                state = take == remaining ? .chunkDataEnd(head: head) : .chunkData(head: head, remaining: remaining - take)
            case .chunkDataEnd(let head):
                guard let lineEnd = findLineEnd(from: readIndex) else {
                    if bufferedByteCount >= 2 { return fail(.badChunk) }
                    return .needMoreData
                }
                guard lineEnd.contentEnd == readIndex else { return fail(.badChunk) }
                readIndex = lineEnd.next
                state = .chunkSize(head: head)
            case .trailers(let head):
                // Trailer fields are read and dropped; an empty line ends the body.
                guard let lineEnd = findLineEnd(from: readIndex) else {
                    if bufferedByteCount > limits.headerBytesMax { return fail(.headersTooLarge) }
                    return .needMoreData
                }
                if lineEnd.next - 1 - readIndex > limits.headerBytesMax { return fail(.headersTooLarge) }
                let empty = lineEnd.contentEnd == readIndex
                readIndex = lineEnd.next
                if empty { state = .head; return .request(head) }
            }
        }
    }

    private mutating func fail(_ error: HTTPParseError) -> HTTPParseEvent {
        state = .failed(error)
        return .error(error)
    }

    private mutating func continueIfExpected(_ head: HTTPRequest) -> HTTPParseEvent? {
        guard !continueSent, head.versionMinor >= 1,
              let expect = head.headers["Expect"], asciiCaseInsensitiveEquals(expect, "100-continue") else { return nil }
        continueSent = true
        return .continueExpected
    }

    /// Finds the blank line ending the head; accepts CRLF or bare LF line ends, as Go does.
    private func findHeadEnd() -> (headEnd: Int, bodyStart: Int)? {
        buffer.withUnsafeBufferPointer { p in
            var i = readIndex
            let n = p.count
            while i < n {
                if p[i] == 10 {
                    if i + 1 < n && p[i + 1] == 10 { return (i + 1, i + 2) }
                    if i + 2 < n && p[i + 1] == 13 && p[i + 2] == 10 { return (i + 1, i + 3) }
                }
                i += 1
            }
            return nil
        }
    }

    private func findLineEnd(from start: Int) -> (contentEnd: Int, next: Int)? {
        var i = start
        while i < buffer.count {
            if buffer[i] == 10 {
                let contentEnd = (i > start && buffer[i - 1] == 13) ? i - 1 : i
                return (contentEnd, i + 1)
            }
            i += 1
        }
        return nil
    }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0
        var digits = 0
        for c in line {
            if c == UInt8(ascii: ";") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { break }
            guard let v = hexValue(c) else { return nil }
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | Int(v)
        }
        return digits > 0 ? size : nil
    }

    private func parseHead(_ head: ArraySlice<UInt8>) throws(HTTPParseError) -> (HTTPRequest, Framing) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for i in head.indices where head[i] == 10 {
            var end = i
            if end > lineStart && head[end - 1] == 13 { end -= 1 }
            lines.append(head[lineStart..<end])
            lineStart = i + 1
        }
        // RFC 9112 §2.2: ignore empty lines before the request line.
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { throw .badRequestLine }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy(isTokenChar) else { throw .badRequestLine }
        let version = parts[2]
        guard version.count == 8, version.starts(with: "HTTP/1.".utf8) else {
            if version.starts(with: "HTTP/".utf8) { throw .badVersion }
            throw .badRequestLine
        }
        let minorByte = version[version.startIndex + 7]
        guard minorByte == UInt8(ascii: "0") || minorByte == UInt8(ascii: "1") else { throw .badVersion }
        let minor = Int(minorByte - UInt8(ascii: "0"))
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .badTarget }

        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") { throw .badHeader } // obsolete folding
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[..<colon].allSatisfy(isTokenChar) else { throw .badHeader }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
            while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
            guard !value.contains(where: { $0 == 0 || $0 == 13 || $0 == 10 }) else { throw .badHeader }
            headers.add(String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
        }

        let framing = try bodyFraming(headers)
        let target = parts[1]
        let split = try splitTarget(Array(target))
        var keepAlive = minor == 1
        if let connection = headers["Connection"] {
            if headerValueContainsToken(connection, "close") { keepAlive = false }
            else if headerValueContainsToken(connection, "keep-alive") { keepAlive = true }
        }
        let request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self),
                                  target: String(decoding: target, as: UTF8.self),
                                  path: split.path, rawQuery: split.rawQuery, query: split.query,
                                  versionMinor: minor, headers: headers, body: [], keepAlive: keepAlive)
        return (request, framing)
    }

    private func bodyFraming(_ headers: HTTPHeaders) throws(HTTPParseError) -> Framing {
        let encodings = headers.values("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        if !encodings.isEmpty {
            // Both present is a request-smuggling shape; refuse it rather than guess.
            guard lengths.isEmpty else { throw .conflictingLength }
            let joined = encodings.joined(separator: ",")
            let codings = joined.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            guard codings.count == 1, asciiCaseInsensitiveEquals(codings[0], "chunked") else {
                throw .unsupportedTransferEncoding
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        for other in lengths.dropFirst() where other != first { throw .conflictingLength }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let n = Int(first) else { throw .badContentLength }
        if n > limits.bodyBytesMax { throw .bodyTooLarge }
        return n == 0 ? .none : .length(n)
    }
}

/// RFC 9110 token characters (method and header names).
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(c)
    }
}
