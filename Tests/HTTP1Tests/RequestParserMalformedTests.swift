import HTTP1
import Testing

/// One malformed input and the error (and so the status) the parser must answer it with.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let error: HTTPParseError
    var limits = HTTPLimits()
    var testDescription: String { name }

    init(_ name: String, _ input: String, _ error: HTTPParseError, limits: HTTPLimits = HTTPLimits()) {
        self.name = name
        self.input = input
        self.error = error
        self.limits = limits
    }
}

private let chunkedHead = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"

private let requestLineCases: [MalformedCase] = [
    MalformedCase("only empty lines", "\r\n\r\n", .badRequestLine),
    MalformedCase("two parts", "GET /\r\n\r\n", .badRequestLine),
    MalformedCase("four parts", "GET / HTTP/1.1 extra\r\n\r\n", .badRequestLine),
    MalformedCase("double space", "GET  / HTTP/1.1\r\n\r\n", .badRequestLine),
    MalformedCase("empty method", " / HTTP/1.1\r\n\r\n", .badRequestLine),
    MalformedCase("non-token method", "GE(T / HTTP/1.1\r\n\r\n", .badRequestLine),
    MalformedCase("not HTTP at all", "GET / FOO/1.1\r\n\r\n", .badRequestLine),
    MalformedCase("lower-case protocol", "GET / http/1.1\r\n\r\n", .badRequestLine),
    MalformedCase("relative target", "GET v1/kv/a HTTP/1.1\r\n\r\n", .badTarget),
    MalformedCase("control byte in target", "GET /a\u{1}b HTTP/1.1\r\n\r\n", .badTarget),
]

private let versionCases: [MalformedCase] = [
    MalformedCase("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", .badVersion),
    MalformedCase("HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", .badVersion),
    MalformedCase("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", .badVersion),
    MalformedCase("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", .badVersion),
    MalformedCase("HTTP/1.x", "GET / HTTP/1.x\r\n\r\n", .badVersion),
]

private let headerCases: [MalformedCase] = [
    MalformedCase("no colon", "GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", .badHeader),
    MalformedCase("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badHeader),
    MalformedCase("empty name", "GET / HTTP/1.1\r\n: value\r\n\r\n", .badHeader),
    MalformedCase("obsolete folding (space)", "GET / HTTP/1.1\r\nX-A: 1\r\n continued\r\n\r\n", .badHeader),
    MalformedCase("obsolete folding (tab)", "GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n", .badHeader),
    MalformedCase("NUL in value", "GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", .badHeader),
    MalformedCase("headers over the limit", "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: 100) + "\r\n\r\n",
                  .headersTooLarge, limits: HTTPLimits(headerBytesMax: 64)),
    MalformedCase("unterminated head over the limit", "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: 100),
                  .headersTooLarge, limits: HTTPLimits(headerBytesMax: 64)),
]

private let lengthCases: [MalformedCase] = [
    MalformedCase("Content-Length over bodyBytesMax", "PUT / HTTP/1.1\r\nContent-Length: 11\r\n\r\n",
                  .bodyTooLarge, limits: HTTPLimits(bodyBytesMax: 10)),
    MalformedCase("chunk larger than bodyBytesMax", chunkedHead + "b\r\n",
                  .bodyTooLarge, limits: HTTPLimits(bodyBytesMax: 10)),
    MalformedCase("chunked body growing over bodyBytesMax", chunkedHead + "8\r\n12345678\r\n3\r\n",
                  .bodyTooLarge, limits: HTTPLimits(bodyBytesMax: 10)),
    MalformedCase("non-numeric Content-Length", "PUT / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", .badContentLength),
    MalformedCase("negative Content-Length", "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", .badContentLength),
    MalformedCase("signed Content-Length", "PUT / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", .badContentLength),
    MalformedCase("empty Content-Length", "PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", .badContentLength),
    MalformedCase("hex Content-Length", "PUT / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", .badContentLength),
    MalformedCase("two numbers in Content-Length", "PUT / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", .badContentLength),
    MalformedCase("19-digit Content-Length", "PUT / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", .badContentLength),
    MalformedCase("conflicting Content-Length values", "PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                  .conflictingLength),
    MalformedCase("Content-Length with Transfer-Encoding",
                  "PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                  .conflictingLength),
    MalformedCase("Transfer-Encoding gzip", "PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding),
    MalformedCase("Transfer-Encoding gzip, chunked", "PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                  .unsupportedTransferEncoding),
    MalformedCase("Transfer-Encoding repeated chunked", "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                  .unsupportedTransferEncoding),
]

private let chunkCases: [MalformedCase] = [
    MalformedCase("non-hex chunk size", chunkedHead + "zz\r\n", .badChunk),
    MalformedCase("empty chunk size", chunkedHead + "\r\n", .badChunk),
    MalformedCase("chunk size with too many digits", chunkedHead + "0000000000000001\r\n", .badChunk),
    MalformedCase("chunk data without CRLF", chunkedHead + "3\r\nabcXY", .badChunk),
    MalformedCase("chunk data followed by garbage line", chunkedHead + "3\r\nabcX\r\n", .badChunk),
    MalformedCase("endless chunk-size line", chunkedHead + "5;" + String(repeating: "x", count: 1100), .badChunk),
]

private let percentCases: [MalformedCase] = [
    MalformedCase("%zz in path", "GET /v1/kv/a%zz HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("trailing % in path", "GET /v1/kv/a% HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("%4 at end of path", "GET /v1/kv/a%4 HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("%zz in query value", "GET /v1/kv/a?x=%zz HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("trailing % in query", "GET /v1/kv/a?x=% HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("%4 at end of query", "GET /v1/kv/a?x=%4 HTTP/1.1\r\n\r\n", .badPercentEncoding),
    MalformedCase("%zz in query name", "GET /v1/kv/a?%zz=1 HTTP/1.1\r\n\r\n", .badPercentEncoding),
]

@Suite("HTTPRequestParser rejects malformed input")
struct RequestParserMalformedTests {
    /// Proves each malformed input, fed whole or byte by byte, ends in its error and never yields a request.
    @Test(arguments: requestLineCases + versionCases + headerCases + lengthCases + chunkCases + percentCases)
    func rejects(_ c: MalformedCase) {
        let whole = parseWhole(c.input, limits: c.limits)
        #expect(whole.error == c.error)
        #expect(whole.requests.isEmpty)
        let split = parseByteByByte(c.input, limits: c.limits)
        #expect(split.error == c.error)
        #expect(split.requests.isEmpty)
    }

    /// Proves every parse error maps to the status Consul's Go server answers it with.
    @Test(arguments: [
        (HTTPParseError.badRequestLine, 400), (.badTarget, 400), (.badVersion, 505), (.badHeader, 400),
        (.headersTooLarge, 431), (.badContentLength, 400), (.conflictingLength, 400),
        (.unsupportedTransferEncoding, 501), (.badChunk, 400), (.bodyTooLarge, 413), (.badPercentEncoding, 400),
    ])
    func statusOfError(_ error: HTTPParseError, _ status: Int) {
        #expect(error.status == status)
        #expect(!error.reason.isEmpty)
    }

    /// Proves a failed parser stays failed: more input, even a valid request, never revives it.
    @Test func failureIsSticky() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/9.9\r\n\r\n".utf8))
        guard case .error(.badVersion) = parser.next() else { Issue.record("expected badVersion"); return }
        parser.feed(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        guard case .error(.badVersion) = parser.next() else { Issue.record("expected badVersion again"); return }
        #expect(!parser.isIdle)
    }

    /// Proves a valid request pipelined before a malformed one is still delivered first.
    @Test func validRequestBeforeMalformedOneIsDelivered() {
        let outcome = parseWhole("GET /ok HTTP/1.1\r\n\r\nGET /bad HTTP/1.1\r\nNoColon\r\n\r\n")
        #expect(outcome.requests.map(\.path) == ["/ok"])
        #expect(outcome.error == .badHeader)
    }

    /// Proves a head exactly at headerBytesMax is accepted whether it arrives whole or one byte at a time.
    @Test func headAtTheLimitIsAcceptedHoweverItArrives() {
        let head = "GET / HTTP/1.1\r\nX-Pad: " + String(repeating: "p", count: 20) + "\r\n\r\n"
        // The limit counts the head up to the first byte of its blank line's CRLF pair.
        let limits = HTTPLimits(headerBytesMax: head.utf8.count - 2)
        #expect(parseWhole(head, limits: limits).requests.count == 1)
        let split = parseByteByByte(head, limits: limits)
        #expect(split.error == nil)
        #expect(split.requests.count == 1)
        // One byte more than the limit is refused in both cases.
        let tight = HTTPLimits(headerBytesMax: head.utf8.count - 3)
        #expect(parseWhole(head, limits: tight).error == .headersTooLarge)
        #expect(parseByteByByte(head, limits: tight).error == .headersTooLarge)
    }

    /// Proves a body of exactly bodyBytesMax is accepted, by length and chunked, one byte more is not.
    @Test func bodyAtTheLimitIsAccepted() {
        let limits = HTTPLimits(bodyBytesMax: 10)
        let byLength = parseWhole("PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)
        #expect(byLength.requests.map(bodyText) == ["0123456789"])
        let chunked = parseWhole(chunkedHead + "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", limits: limits)
        #expect(chunked.requests.map(bodyText) == ["0123456789"])
        let over = parseWhole(chunkedHead + "6\r\n012345\r\n5\r\n", limits: limits)
        #expect(over.error == .bodyTooLarge)
    }
}

/// A request cut off somewhere: the parser must wait, not guess.
struct TruncatedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    var testDescription: String { name }
}

@Suite("HTTPRequestParser waits for truncated input")
struct RequestParserTruncatedTests {
    /// Proves a request cut off anywhere yields `.needMoreData`, never a request and never an error.
    @Test(arguments: [
        TruncatedCase(name: "nothing", input: ""),
        TruncatedCase(name: "partial request line", input: "GET / HT"),
        TruncatedCase(name: "request line without CRLF", input: "GET / HTTP/1.1"),
        TruncatedCase(name: "headers not ended", input: "GET / HTTP/1.1\r\nHost: a\r\n"),
        TruncatedCase(name: "blank line half sent", input: "GET / HTTP/1.1\r\nHost: a\r\n\r"),
        TruncatedCase(name: "partial Content-Length body", input: "PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
        TruncatedCase(name: "no chunk size yet", input: chunkedHead),
        TruncatedCase(name: "partial chunk size line", input: chunkedHead + "5"),
        TruncatedCase(name: "partial chunk data", input: chunkedHead + "5\r\nab"),
        TruncatedCase(name: "chunk data without its CRLF", input: chunkedHead + "5\r\nabcde"),
        TruncatedCase(name: "chunk data with half its CRLF", input: chunkedHead + "5\r\nabcde\r"),
        TruncatedCase(name: "last chunk without blank line", input: chunkedHead + "5\r\nabcde\r\n0\r\n"),
        TruncatedCase(name: "trailer without blank line", input: chunkedHead + "0\r\nX-Trailer: 1\r\n"),
    ])
    func waits(_ c: TruncatedCase) {
        let outcome = parseWhole(c.input)
        #expect(outcome.needsMore)
        #expect(outcome.error == nil)
        #expect(outcome.requests.isEmpty)
        let split = parseByteByByte(c.input)
        #expect(split.error == nil)
        #expect(split.requests.isEmpty)
    }

    /// Proves the parser is idle only while nothing of a request is buffered.
    @Test func idleOnlyBetweenRequests() {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        parser.feed(Array("GET / HTTP/1.1\r\n".utf8))
        _ = parser.next()
        #expect(!parser.isIdle)
        #expect(parser.bufferedByteCount == 16)
        parser.feed(Array("\r\n".utf8))
        guard case .request = parser.next() else { Issue.record("expected a request"); return }
        #expect(parser.isIdle)
        #expect(parser.bufferedByteCount == 0)
    }
}
