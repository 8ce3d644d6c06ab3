import HTTP1
import Testing

private let date = "Tue, 25 Nov 2025 16:36:12 GMT"

private func serialize(_ response: HTTPResponse, keepAlive: Bool = true, date: String? = date, headOnly: Bool = false) -> String {
    var out: [UInt8] = []
    HTTPResponseSerializer.write(response, keepAlive: keepAlive, date: date, headOnly: headOnly, into: &out)
    return String(decoding: out, as: UTF8.self)
}

@Suite("HTTPResponseSerializer")
struct ResponseSerializerTests {
    /// Proves a text response serializes to the exact bytes: status line, headers in order, Date, Content-Length, body.
    @Test func textResponseGolden() {
        var headers = HTTPHeaders()
        headers.add("X-Consul-Index", "7")
        let bytes = serialize(.text(404, "Missing key name", headers: headers))
        #expect(bytes == "HTTP/1.1 404 Not Found\r\nX-Consul-Index: 7\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Date: \(date)\r\nContent-Length: 16\r\n\r\nMissing key name")
    }

    /// Proves a closing connection announces `Connection: close` and a missing date emits no Date header.
    @Test func connectionCloseWithoutDate() {
        let bytes = serialize(HTTPResponse(status: 200, body: Array("true".utf8)), keepAlive: false, date: nil)
        #expect(bytes == "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ntrue")
    }

    /// Proves an empty 200 still carries `Content-Length: 0`, while 204 and 304 carry no length at all.
    @Test func lengthRules() {
        #expect(serialize(HTTPResponse(status: 200), date: nil) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(serialize(HTTPResponse(status: 204), date: nil) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(serialize(HTTPResponse(status: 304), date: nil) == "HTTP/1.1 304 Not Modified\r\n\r\n")
    }

    /// Proves a HEAD answer keeps the body's Content-Length but omits the body bytes.
    @Test func headOnlyOmitsBody() {
        let bytes = serialize(HTTPResponse(status: 200, body: Array("hello".utf8)), date: nil, headOnly: true)
        #expect(bytes == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    /// Proves the reason phrases Consul's clients see for the statuses we send, and a fallback for others.
    @Test(arguments: [
        (301, "Moved Permanently"), (405, "Method Not Allowed"), (413, "Request Entity Too Large"),
        (431, "Request Header Fields Too Large"), (500, "Internal Server Error"), (501, "Not Implemented"),
        (505, "HTTP Version Not Supported"), (299, "Status"),
    ])
    func reasonPhrases(_ status: Int, _ phrase: String) {
        #expect(reasonPhrase(status) == phrase)
        #expect(serialize(HTTPResponse(status: status), date: nil).hasPrefix("HTTP/1.1 \(status) \(phrase)\r\n"))
    }

    /// Proves the interim 100 Continue bytes and that serialization appends to an existing buffer.
    @Test func continueAndAppend() {
        #expect(HTTPResponseSerializer.continueResponse == Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        var out = Array("prefix".utf8)
        HTTPResponseSerializer.write(HTTPResponse(status: 200), keepAlive: true, date: nil, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefixHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    /// Proves `appendDecimal` writes zero, large and negative values.
    @Test func decimals() {
        for value in [0, 7, 1_234_567_890, Int.max, -42] {
            var out: [UInt8] = []
            appendDecimal(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }
}

@Suite("HTTPResponseParser")
struct ResponseParserTests {
    /// Proves a Content-Length response is returned only once its whole body has arrived.
    @Test func contentLength() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Consul-Index: 3\r\n\r\nhel".utf8))
        #expect(try parser.next() == nil)
        parser.feed(Array("lo".utf8))
        let response = try #require(try parser.next())
        #expect(response.status == 200)
        #expect(response.bodyText == "hello")
        #expect(response.headers["x-consul-index"] == "3")
        #expect(response.keepAlive)
    }

    /// Proves a chunked body is reassembled, with extensions and trailers skipped.
    @Test func chunked() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n6\r\n world".utf8))
        #expect(try parser.next() == nil)
        parser.feed(Array("\r\n0\r\nTrailer: 1\r\n\r\n".utf8))
        let response = try #require(try parser.next())
        #expect(response.bodyText == "hello world")
    }

    /// Proves a 100 Continue interim response is skipped and the final response returned.
    @Test func skipsContinue() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntrue".utf8))
        let response = try #require(try parser.next())
        #expect(response.status == 200)
        #expect(response.bodyText == "true")
    }

    /// Proves a response without framing is read until the connection closes, and then not kept alive.
    @Test func readUntilClose() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc".utf8))
        #expect(try parser.next() == nil)
        parser.feed(Array("def".utf8))
        #expect(try parser.next() == nil)
        let response = try #require(try parser.next(atEOF: true))
        #expect(response.bodyText == "abcdef")
        #expect(!response.keepAlive)
    }

    /// Proves HEAD, 204 and 304 responses never wait for a body.
    @Test func bodilessResponses() throws {
        var head = HTTPResponseParser(requestWasHead: true)
        head.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".utf8))
        #expect(try head.next()?.body == [])
        var noContent = HTTPResponseParser()
        noContent.feed(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
        #expect(try noContent.next()?.status == 204)
    }

    /// Proves two responses in one buffer come out one after the other.
    @Test func consecutiveResponses() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(try parser.next()?.bodyText == "a")
        #expect(try parser.next()?.status == 404)
        #expect(try parser.next() == nil)
    }

    /// Proves HTTP/1.0 and `Connection: close` responses are not kept alive.
    @Test func keepAliveRules() throws {
        var old = HTTPResponseParser()
        old.feed(Array("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(try old.next()?.keepAlive == false)
        var closing = HTTPResponseParser()
        closing.feed(Array("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(try closing.next()?.keepAlive == false)
    }

    /// Proves a truncated or malformed response is an error rather than a silently short answer.
    @Test func errors() {
        var short = HTTPResponseParser()
        short.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(throws: HTTPParseError.badContentLength) { try short.next(atEOF: true) }
        var noHead = HTTPResponseParser()
        noHead.feed(Array("HTTP/1.1 200".utf8))
        #expect(throws: HTTPParseError.badRequestLine) { try noHead.next(atEOF: true) }
        var garbage = HTTPResponseParser()
        garbage.feed(Array("SSH-2.0 hello\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.badRequestLine) { try garbage.next() }
        var badLength = HTTPResponseParser()
        badLength.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.badContentLength) { try badLength.next() }
        var badChunk = HTTPResponseParser()
        badChunk.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8))
        #expect(throws: HTTPParseError.badChunk) { try badChunk.next() }
    }
}
