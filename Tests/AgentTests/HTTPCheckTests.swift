import Agent
import Testing

/// HTTP checks over a fake connection: the request Consul sends, the verdicts and outputs.
@Suite struct HTTPCheckTests {
    /// Starts an HTTP check and returns the connection it opened (after the first attempt began).
    private func begin(_ world: FakeWorld, _ json: String) throws -> (CheckRunner, FakeConnection) {
        let runner = try world.start(json)
        world.clock.turn()
        let connection = try #require(world.network.connections.last)
        return (runner, connection)
    }

    /// The request: method, target, Host, Consul's User-Agent and Accept, headers, body, Connection: close.
    @Test func requestBytes() throws {
        let world = FakeWorld()
        let (runner, connection) = try begin(world, """
        {"HTTP":"http://127.0.0.1:8080/health?x=1","Method":"POST","Body":"hello","Interval":"10s",
         "Header":{"X-Token":["a","b"]}}
        """)
        #expect(world.network.attempts == [.init(host: "127.0.0.1", port: 8080)])
        #expect(connection.writtenText == """
        POST /health?x=1 HTTP/1.1\r
        Host: 127.0.0.1:8080\r
        User-Agent: Consul Health Check\r
        Content-Length: 5\r
        Accept: text/plain, text/*, */*\r
        X-Token: a\r
        X-Token: b\r
        Connection: close\r
        \r
        hello
        """)
        runner.stop()
    }

    /// User-Agent, Accept and Host from the definition replace the defaults.
    @Test func headerOverrides() throws {
        let world = FakeWorld()
        let (runner, connection) = try begin(world, """
        {"HTTP":"http://127.0.0.1/","Interval":"10s","Header":{"Host":["svc.example"],"User-Agent":["me"],"Accept":["application/json"]}}
        """)
        #expect(connection.writtenText == """
        GET / HTTP/1.1\r
        Host: svc.example\r
        Accept: application/json\r
        User-Agent: me\r
        Connection: close\r
        \r

        """)
        runner.stop()
    }

    /// 2xx is passing with Consul's output line; the reason phrase is the server's.
    @Test func passingOutput() throws {
        let world = FakeWorld()
        let (runner, connection) = try begin(world, #"{"HTTP":"http://127.0.0.1:8080/health","Interval":"10s"}"#)
        connection.deliver("HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok")
        #expect(world.statuses == ["passing"])
        #expect(world.lastOutput == "HTTP GET http://127.0.0.1:8080/health: 200 Fine Output: ok")
        #expect(connection.closed)
        runner.stop()
    }

    /// 429 is warning; any other status critical; a body is cut to its last OutputMaxSize bytes.
    @Test func statusRulesAndTruncation() throws {
        let world = FakeWorld()
        let (r1, c1) = try begin(world, #"{"HTTP":"http://127.0.0.1/","Interval":"10s"}"#)
        c1.deliver("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n")
        #expect(world.statuses.last == "warning")
        r1.stop()
        let (r2, c2) = try begin(world, #"{"HTTP":"http://127.0.0.1/","Interval":"10s","OutputMaxSize":4}"#)
        c2.deliver("HTTP/1.1 503 Service Unavailable\r\n\r\n0123456789")
        c2.peerClose()
        #expect(world.statuses.last == "critical")
        #expect(world.lastOutput == "HTTP GET http://127.0.0.1/: 503 Service Unavailable Output: 6789")
        r2.stop()
    }

    /// A refused connection is critical with Go's url.Error wording.
    @Test func connectionRefused() throws {
        let world = FakeWorld()
        world.network.defaultOutcome = .refuse
        let runner = try world.start(#"{"HTTP":"http://127.0.0.1:1/x","Method":"put","Interval":"10s"}"#)
        world.clock.turn()
        #expect(world.lastOutput == #"Put "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused"#)
        runner.stop()
    }

    /// No answer within the timeout (default 10s) is critical; the connection is closed.
    @Test func timeout() throws {
        let world = FakeWorld()
        let (runner, connection) = try begin(world, #"{"HTTP":"http://127.0.0.1/","Interval":"30s"}"#)
        world.clock.advance(by: 9_999_999_999)
        #expect(world.reports.isEmpty)
        world.clock.advance(by: 1)
        #expect(world.lastOutput == #"Get "http://127.0.0.1/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#)
        #expect(connection.closed)
        runner.stop()
    }

    /// https is refused by this build; other schemes and missing hosts fail as Go's client does.
    @Test func urlProblems() throws {
        let world = FakeWorld()
        let a = try world.start(#"{"HTTP":"https://127.0.0.1/","Interval":"10s"}"#)
        world.clock.turn()
        #expect(world.reports.last == .init(checkID: "check", status: "critical", output: "TLS not supported by this build"))
        a.stop()
        let b = try world.start(#"{"HTTP":"ftp://x/","Interval":"10s"}"#)
        world.clock.turn()
        #expect(world.lastOutput == #"Get "ftp://x/": unsupported protocol scheme "ftp""#)
        b.stop()
        let c = try world.start(#"{"HTTP":"http:///path","Interval":"10s"}"#)
        world.clock.turn()
        #expect(world.lastOutput == #"Get "http:///path": http: no Host in request URL"#)
        c.stop()
        #expect(world.network.attempts.isEmpty)
    }

    /// Redirects are followed (303 turns POST into GET without body) unless DisableRedirects.
    @Test func redirects() throws {
        let world = FakeWorld()
        let (runner, first) = try begin(world, #"{"HTTP":"http://127.0.0.1/a","Method":"POST","Body":"x","Interval":"10s"}"#)
        first.deliver("HTTP/1.1 303 See Other\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")
        world.clock.turn()
        let second = try #require(world.network.connections.last)
        #expect(second !== first)
        #expect(second.writtenText.hasPrefix("GET /b HTTP/1.1\r\n"))
        #expect(!second.writtenText.contains("Content-Length"))
        second.deliver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(world.lastOutput == "HTTP POST http://127.0.0.1/a: 200 OK Output: ")
        runner.stop()

        let other = FakeWorld()
        let (r2, c2) = try begin(other, #"{"HTTP":"http://127.0.0.1/a","Interval":"10s","DisableRedirects":true}"#)
        c2.deliver("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")
        #expect(other.statuses == ["critical"])
        #expect(other.lastOutput == "HTTP GET http://127.0.0.1/a: 302 Found Output: ")
        #expect(other.network.connections.count == 1)
        r2.stop()
    }

    /// A peer that closes without answering is critical `EOF`.
    @Test func emptyReply() throws {
        let world = FakeWorld()
        let (runner, connection) = try begin(world, #"{"HTTP":"http://127.0.0.1/","Interval":"10s"}"#)
        connection.peerClose()
        #expect(world.lastOutput == #"Get "http://127.0.0.1/": EOF"#)
        runner.stop()
    }
}
