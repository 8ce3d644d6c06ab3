import HTTP1
import Testing

@Suite("HTTPRequestParser on well-formed input")
struct RequestParserTests {
    /// Proves a simple GET is split into method, target, path, version and headers in arrival order.
    @Test func parsesHead() throws {
        let outcome = parseWhole("GET /v1/kv/a HTTP/1.1\r\nHost: example\r\nX-Two: a\r\nx-two:  b \t\r\n\r\n")
        let request = try #require(outcome.requests.first)
        #expect(outcome.requests.count == 1)
        #expect(outcome.needsMore)
        #expect(request.method == "GET")
        #expect(request.target == "/v1/kv/a")
        #expect(request.path == "/v1/kv/a")
        #expect(request.rawQuery == "")
        #expect(request.versionMinor == 1)
        #expect(request.headers["host"] == "example")
        #expect(request.headers.values("X-TWO") == ["a", "b"])
        #expect(request.headers.fields.map(\.name) == ["Host", "X-Two", "x-two"])
        #expect(request.body.isEmpty)
    }

    /// Proves bare-LF line ends and an empty line before the request line are accepted, as Go accepts them.
    @Test func acceptsBareLFAndLeadingBlankLines() throws {
        let outcome = parseWhole("\r\nPUT /k HTTP/1.1\nContent-Length: 2\n\nok")
        let request = try #require(outcome.requests.first)
        #expect(request.method == "PUT")
        #expect(bodyText(request) == "ok")
    }

    /// Proves several requests arriving in one read come out in order, each with its own body.
    @Test func pipelinedRequestsInOneFeed() {
        let input = "GET /a HTTP/1.1\r\n\r\n"
            + "PUT /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
            + "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "DELETE /d HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        let outcome = parseWhole(input)
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.method) == ["GET", "PUT", "POST", "DELETE"])
        #expect(outcome.requests.map(\.path) == ["/a", "/b", "/c", "/d"])
        #expect(outcome.requests.map(bodyText) == ["", "xyz", "hi", ""])
        #expect(outcome.needsMore)
    }

    /// Proves feeding one byte at a time yields the same requests, and none before its last byte.
    @Test func byteAtATime() {
        let input = "PUT /one HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /two HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        let bytes = Array(input.utf8)
        var parser = HTTPRequestParser()
        var outcome = ParseOutcome()
        var completedAt: [Int] = []
        for (offset, byte) in bytes.enumerated() {
            parser.feed(CollectionOfOne(byte))
            let before = outcome.requests.count
            drain(&parser, into: &outcome)
            if outcome.requests.count > before { completedAt.append(offset) }
        }
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/one", "/two"])
        #expect(outcome.requests.map(bodyText) == ["hello", "abcde"])
        let firstLength = "PUT /one HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".utf8.count
        #expect(completedAt == [firstLength - 1, bytes.count - 1])
    }

    /// Proves chunk extensions are ignored and trailer fields are consumed without reaching the body.
    @Test func chunkedWithExtensionsAndTrailers() throws {
        let input = "POST /c HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "4;name=value\r\nWiki\r\n5 ; ext\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0;last\r\nX-Trailer: a\r\nX-Other: b\r\n\r\n"
            + "GET /next HTTP/1.1\r\n\r\n"
        let outcome = parseWhole(input)
        #expect(outcome.error == nil)
        let request = try #require(outcome.requests.first)
        #expect(bodyText(request) == "Wikipedia in\r\n\r\nchunks.")
        #expect(request.headers["X-Trailer"] == nil)
        #expect(outcome.requests.map(\.path) == ["/c", "/next"])
    }

    /// Proves `Expect: 100-continue` yields `.continueExpected` once, before the body, then the request.
    @Test func expectContinueOnceBeforeBody() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("PUT /k HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n".utf8))
        guard case .continueExpected = parser.next() else { Issue.record("expected continueExpected"); return }
        guard case .needMoreData = parser.next() else { Issue.record("continue must be signalled once"); return }
        parser.feed(Array("hel".utf8))
        guard case .needMoreData = parser.next() else { Issue.record("continue must not repeat on partial body"); return }
        parser.feed(Array("lo".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("expected the request"); return }
        #expect(bodyText(request) == "hello")
        // The next request on the connection gets its own interim response.
        parser.feed(Array("PUT /k2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".utf8))
        guard case .continueExpected = parser.next() else { Issue.record("expected continueExpected for chunked"); return }
        parser.feed(Array("1\r\nx\r\n0\r\n\r\n".utf8))
        guard case .request(let second) = parser.next() else { Issue.record("expected the second request"); return }
        #expect(bodyText(second) == "x")
    }

    /// Proves no 100 Continue is signalled when the body already arrived or the client speaks HTTP/1.0.
    @Test func noContinueWhenBodyPresentOrHTTP10() {
        let present = parseWhole("PUT /k HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok")
        #expect(present.continues == 0)
        #expect(present.requests.count == 1)
        let old = parseWhole("PUT /k HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(old.continues == 0)
        #expect(old.needsMore)
        let bodiless = parseWhole("GET /k HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")
        #expect(bodiless.continues == 0)
        #expect(bodiless.requests.count == 1)
    }

    /// Proves keep-alive follows the version default and the Connection header's tokens.
    @Test(arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Upgrade, CLOSE", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive, foo", true),
        ("HTTP/1.0", "close", false),
    ] as [(String, String?, Bool)])
    func keepAlive(_ version: String, _ connection: String?, _ expected: Bool) throws {
        var input = "GET / \(version)\r\n"
        if let connection { input += "Connection: \(connection)\r\n" }
        input += "\r\n"
        let request = try #require(parseWhole(input).requests.first)
        #expect(request.keepAlive == expected)
        #expect(request.versionMinor == (version == "HTTP/1.1" ? 1 : 0))
    }

    /// Proves the path is percent-decoded with `+` kept literal, and the raw target survives untouched.
    @Test func decodesPath() throws {
        let request = try #require(parseWhole("GET /v1/kv/a%2Fb%20c+d%25 HTTP/1.1\r\n\r\n").requests.first)
        #expect(request.path == "/v1/kv/a/b c+d%")
        #expect(request.target == "/v1/kv/a%2Fb%20c+d%25")
    }

    /// Proves the query is decoded with `+` as space, repeated names kept in order, and bare names present.
    @Test func decodesQuery() throws {
        let target = "/v1/kv/?tag=a&x=1+2&tag=b&y=%2B%3D&recurse&&a%20b=c=d&tag="
        let request = try #require(parseWhole("GET \(target) HTTP/1.1\r\n\r\n").requests.first)
        #expect(request.path == "/v1/kv/")
        #expect(request.rawQuery == "tag=a&x=1+2&tag=b&y=%2B%3D&recurse&&a%20b=c=d&tag=")
        #expect(request.query.values("tag") == ["a", "b", ""])
        #expect(request.query["tag"] == "a")
        #expect(request.query["x"] == "1 2")
        #expect(request.query["y"] == "+=")
        #expect(request.query.has("recurse"))
        #expect(request.query["recurse"] == "")
        #expect(request.query["a b"] == "c=d")
        #expect(!request.query.has("missing"))
        #expect(request.query.items.count == 7)
    }

    /// Proves the convenience initializer decodes a target exactly as the parser does, errors included.
    @Test func requestInitializerMatchesParser() throws {
        let request = try HTTPRequest(method: "GET", target: "/v1/kv/a%2Fb+c?q=x+y")
        #expect(request.path == "/v1/kv/a/b+c")
        #expect(request.query["q"] == "x y")
        #expect(request.keepAlive)
        #expect(throws: HTTPParseError.badPercentEncoding) { try HTTPRequest(method: "GET", target: "/a%zz") }
        #expect(throws: HTTPParseError.badPercentEncoding) { try HTTPRequest(method: "GET", target: "/a?b=%4") }
        #expect(throws: HTTPParseError.badTarget) { try HTTPRequest(method: "GET", target: "a") }
        #expect(try HTTPRequest(method: "OPTIONS", target: "*").path == "*")
    }

    /// Proves a zero Content-Length and a repeated identical Content-Length both frame correctly.
    @Test func contentLengthEdgeCases() {
        let zero = parseWhole("PUT /z HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /n HTTP/1.1\r\n\r\n")
        #expect(zero.requests.map(\.path) == ["/z", "/n"])
        let repeated = parseWhole("PUT /r HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc")
        #expect(repeated.requests.map(bodyText) == ["abc"])
        let padded = parseWhole("PUT /p HTTP/1.1\r\nContent-Length:   3  \r\n\r\nabc")
        #expect(padded.requests.map(bodyText) == ["abc"])
    }
}

@Suite("Percent decoding helpers")
struct PercentDecodingTests {
    /// Proves `percentDecode` handles upper- and lower-case hex and rejects every truncated or bad escape.
    @Test func percentDecodeRules() {
        #expect(percentDecode(Array("a%2fb%2F%41".utf8), plusIsSpace: false) == Array("a/b/A".utf8))
        #expect(percentDecode(Array("a+b".utf8), plusIsSpace: false) == Array("a+b".utf8))
        #expect(percentDecode(Array("a+b".utf8), plusIsSpace: true) == Array("a b".utf8))
        for bad in ["%", "%4", "%zz", "%g0", "a%0", "%%41"] {
            #expect(percentDecode(Array(bad.utf8), plusIsSpace: false) == nil, "\(bad)")
        }
    }

    /// Proves `percentEncode` keeps unreserved characters and the `keep` set and escapes the rest in upper hex.
    @Test func percentEncodeRules() {
        #expect(percentEncode("a b/c~d_e.f-g") == "a%20b/c~d_e.f-g")
        #expect(percentEncode("a/b", keep: "") == "a%2Fb")
        #expect(percentEncode("é?&=+") == "%C3%A9%3F%26%3D%2B")
    }
}
