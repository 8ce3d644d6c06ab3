import Foundation
import Testing

/// HTTP/1.1 framing of the real server: keep-alive, pipelining, chunked bodies, routing and
/// malformed input, checked byte-for-byte over raw sockets.
@Suite struct HTTPWireTests {
    /// Three requests written at once get three answers, in order, on the same connection.
    @Test func pipelinedRequestsAnswerInOrder() throws {
        let agent = try AgentProcess()
        let c = try RawConnection(port: agent.httpPort)
        try c.send("PUT /v1/kv/p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
            + "GET /v1/kv/p?raw HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try c.readResponse()
        let second = try c.readResponse()
        let third = try c.readResponse()
        #expect(first.status == 200 && first.bodyText.contains("true"))
        #expect(second.status == 200 && second.bodyText == "one")
        #expect(third.status == 200 && third.bodyText.contains(":"))
        #expect(third.keepAlive)
    }

    /// A chunked request body is de-chunked into the stored value.
    @Test func chunkedBody() throws {
        let agent = try AgentProcess()
        let c = try RawConnection(port: agent.httpPort)
        try c.send("PUT /v1/kv/ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        try c.send("GET /v1/kv/ch?raw HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().bodyText == "hello world")
    }

    /// `Expect: 100-continue` gets an interim 100 before the client sends its body.
    @Test func expectContinue() throws {
        let agent = try AgentProcess()
        let c = try RawConnection(port: agent.httpPort)
        try c.send("PUT /v1/kv/e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try c.readRaw(until: "\r\n\r\n")
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
        try c.send("body")
        #expect(try c.readResponse().status == 200)
    }

    /// HTTP/1.0 without keep-alive, and `Connection: close`, end the connection after the answer.
    @Test func connectionCloseSemantics() throws {
        let agent = try AgentProcess()
        let old = try RawConnection(port: agent.httpPort)
        try old.send("GET /v1/status/leader HTTP/1.0\r\n\r\n")
        let r = try old.readResponse()
        #expect(r.status == 200)
        #expect(old.readsEOF())
        let closing = try RawConnection(port: agent.httpPort)
        try closing.send("GET /v1/status/leader HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try closing.readResponse().headers["Connection"] == "close")
        #expect(closing.readsEOF())
    }

    /// Routing: unknown /v1 path, wrong method, OPTIONS, and the index page — as Consul answers.
    @Test func routing() throws {
        let agent = try AgentProcess()
        let unknown = try HTTP.get("/v1/nothing/here", port: agent.httpPort)
        #expect(unknown.status == 404)
        #expect(unknown.bodyText == "Invalid URL path: not a recognized HTTP API endpoint\n")
        let wrong = try HTTP.request("POST", "/v1/kv/x", port: agent.httpPort, body: [])
        #expect(wrong.status == 405)
        #expect(wrong.headers["Allow"] == "OPTIONS,GET,PUT,DELETE")
        #expect(wrong.bodyText == "method POST not allowed")
        let options = try HTTP.request("OPTIONS", "/v1/status/leader", port: agent.httpPort)
        #expect(options.status == 200)
        #expect(options.headers["Allow"] == "OPTIONS,GET")
        #expect(try HTTP.get("/v1/status/leader", port: agent.httpPort).headers["X-Consul-Default-Acl-Policy"] == "allow")
        #expect(try HTTP.get("/v1/acl/tokens", port: agent.httpPort).status == 401)
        #expect(try HTTP.get("/v1/kv/%0Abad", port: agent.httpPort).status == 400)
    }

    /// Malformed requests are answered with a 4xx/5xx naming the problem, then the connection closes.
    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /v1/status/leader HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET /v1/status/leader HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        ("PUT /v1/kv/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        ("PUT /v1/kv/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("PUT /v1/kv/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("PUT /v1/kv/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400),
        ("PUT /v1/kv/x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("GET /v1/kv/a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET /v1/kv/a?x=%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ])
    func malformedRequests(request: String, status: Int) throws {
        let agent = try AgentProcess()
        let c = try RawConnection(port: agent.httpPort)
        try c.send(request)
        let response = try c.readResponse()
        #expect(response.status == status)
        #expect(!response.bodyText.isEmpty)
        #expect(c.readsEOF())
    }

    /// A header section past 1 MiB is refused with 431 instead of being buffered forever.
    @Test func oversizedHeaders() throws {
        let agent = try AgentProcess()
        let c = try RawConnection(port: agent.httpPort)
        let huge = String(repeating: "a", count: 1_100_000)
        try? c.send("GET /v1/status/leader HTTP/1.1\r\nX-Big: \(huge)\r\n\r\n")
        let response = try c.readResponse()
        #expect(response.status == 431)
    }

    /// A connection that sends half a request and stops does not hold up other clients.
    @Test func stalledClientDoesNotBlockOthers() throws {
        let agent = try AgentProcess()
        let stalled = try RawConnection(port: agent.httpPort)
        try stalled.send("PUT /v1/kv/x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")
        #expect(try HTTP.get("/v1/status/leader", port: agent.httpPort).status == 200)
    }
}

extension RawConnection {
    /// Reads raw bytes until `marker` has been seen (for interim responses).
    func readRaw(until marker: String) throws -> String {
        var text = ""
        while !text.contains(marker) {
            let chunk = try readChunk()
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text
    }
}
