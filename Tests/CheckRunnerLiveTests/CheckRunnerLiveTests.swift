import Agent
import ConsulAPI
import Foundation
import LiveRuntime
import Platform
import Testing

/// The production check runners on a real libuv loop against real local peers: an HTTP
/// server on a LiveStreamNetwork listener, a TCP listener, closed ports, UDP sockets and real
/// scripts. Each test waits for the check's first report (with a watchdog bound).
@Suite struct CheckRunnerLiveTests {
    /// Stagger 0, so the first attempt runs at once.
    final class ZeroRandom: RandomSource { func nextUInt64() -> UInt64 { 0 } }

    /// Starts the check described by `json`, runs the loop until its first report, stops it.
    private func firstReport(_ json: String, loop: EventLoop, boundSeconds: UInt64 = 20) throws -> CheckStatusUpdate? {
        let type = try CheckType.decode(JSONParser.parse(json))
        try type.validate()
        let environment = CheckEnvironment(clock: loop, random: ZeroRandom(), network: LiveStreamNetwork(loop: loop),
                                           datagrams: LiveDatagramNetwork(loop: loop), resolver: LiveResolver(loop: loop),
                                           processes: LiveProcessRunner(loop: loop), enableScriptChecks: true)
        var report: CheckStatusUpdate?
        let runner = try CheckRunnerFactory.make(type: type, checkID: "live", environment: environment) { update in
            if report == nil { report = update }
            loop.stop()
        }
        let watchdog = loop.schedule(after: boundSeconds * 1_000_000_000) { loop.stop() }
        runner.start()
        loop.run()
        runner.stop()
        watchdog.cancel()
        for _ in 0..<5 { loop.runOnce() }
        return report
    }

    private func closedPort(_ loop: EventLoop) throws -> Int {
        let listener = try LiveStreamNetwork(loop: loop).listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 1) { _ in }
        let port = listener.localAddress.port
        listener.close()
        loop.runOnce()
        return port
    }

    /// 200 is passing with Consul's output; the server saw Consul's User-Agent, Accept and Connection: close.
    @Test func httpPassing() throws {
        let loop = try EventLoop()
        let server = try TinyHTTPServer(loop: loop, response: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy")
        let report = try firstReport(#"{"HTTP":"http://127.0.0.1:\#(server.port)/health","Interval":"10s"}"#, loop: loop)
        server.close()
        #expect(report == CheckStatusUpdate(checkID: "live", status: "passing",
                                            output: "HTTP GET http://127.0.0.1:\(server.port)/health: 200 OK Output: healthy"))
        let request = try #require(server.requests.first)
        #expect(request.hasPrefix("GET /health HTTP/1.1\r\n"))
        #expect(request.contains("\r\nUser-Agent: Consul Health Check\r\n"))
        #expect(request.contains("\r\nAccept: text/plain, text/*, */*\r\n"))
        #expect(request.contains("\r\nConnection: close\r\n"))
    }

    /// 429 is warning and 500 critical; a host name goes through the resolver.
    @Test func httpWarningAndCritical() throws {
        let loop = try EventLoop()
        let busy = try TinyHTTPServer(loop: loop, response: "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nslow")
        let warning = try firstReport(#"{"HTTP":"http://localhost:\#(busy.port)/","Interval":"10s"}"#, loop: loop)
        busy.close()
        #expect(warning?.status == "warning")
        #expect(warning?.output == "HTTP GET http://localhost:\(busy.port)/: 429 Too Many Requests Output: slow")
        let broken = try TinyHTTPServer(loop: loop, response: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
        let critical = try firstReport(#"{"HTTP":"http://127.0.0.1:\#(broken.port)/","Interval":"10s"}"#, loop: loop)
        broken.close()
        #expect(critical?.status == "critical")
    }

    /// Nothing listening: critical with the dial error.
    @Test func httpRefused() throws {
        let loop = try EventLoop()
        let port = try closedPort(loop)
        let report = try firstReport(#"{"HTTP":"http://127.0.0.1:\#(port)/","Interval":"10s"}"#, loop: loop)
        #expect(report?.status == "critical")
        #expect(report?.output == #"Get "http://127.0.0.1:\#(port)/": dial tcp 127.0.0.1:\#(port): connect: connection refused"#)
    }

    /// A TCP listener is passing; a closed port critical.
    @Test func tcp() throws {
        let loop = try EventLoop()
        let listener = try LiveStreamNetwork(loop: loop).listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 8) { $0.close() }
        let port = listener.localAddress.port
        let up = try firstReport(#"{"TCP":"127.0.0.1:\#(port)","Interval":"10s"}"#, loop: loop)
        listener.close()
        #expect(up == CheckStatusUpdate(checkID: "live", status: "passing", output: "TCP connect 127.0.0.1:\(port): Success"))
        let closed = try closedPort(loop)
        let down = try firstReport(#"{"TCP":"127.0.0.1:\#(closed)","Interval":"10s"}"#, loop: loop)
        #expect(down == CheckStatusUpdate(checkID: "live", status: "critical",
                                          output: "dial tcp 127.0.0.1:\(closed): connect: connection refused"))
    }

    /// A UDP socket that answers is passing; a closed port (ICMP unreachable) critical.
    @Test func udp() throws {
        let loop = try EventLoop()
        let server = try LiveDatagramNetwork(loop: loop).bind(local: SocketAddress(host: "127.0.0.1", port: 0), peer: nil)
        let responder = UDPResponder(socket: server)
        server.delegate = responder
        let port = server.localAddress.port
        let up = try firstReport(#"{"UDP":"127.0.0.1:\#(port)","Interval":"10s","Timeout":"5s"}"#, loop: loop)
        server.close()
        #expect(up == CheckStatusUpdate(checkID: "live", status: "passing", output: "UDP connect 127.0.0.1:\(port): Success"))
        #expect(responder.received == 1)
        let closed = try closedPort(loop)
        let down = try firstReport(#"{"UDP":"127.0.0.1:\#(closed)","Interval":"10s","Timeout":"5s"}"#, loop: loop)
        #expect(down?.status == "critical")
        #expect(down?.output.hasSuffix("connection refused") == true)
    }

    /// Real scripts: exit 0 passing with output, exit 1 warning, exit 2 critical.
    @Test func scriptExitCodes() throws {
        let loop = try EventLoop()
        let ok = try firstReport(#"{"Args":["/bin/sh","-c","echo fine; echo also >&2"],"Interval":"10s"}"#, loop: loop)
        #expect(ok == CheckStatusUpdate(checkID: "live", status: "passing", output: "fine\nalso\n"))
        let warn = try firstReport(#"{"Args":["/bin/sh","-c","exit 1"],"Interval":"10s"}"#, loop: loop)
        #expect(warn == CheckStatusUpdate(checkID: "live", status: "warning", output: ""))
        let crit = try firstReport(#"{"Args":["/bin/sh","-c","echo boom; exit 2"],"Interval":"10s"}"#, loop: loop)
        #expect(crit == CheckStatusUpdate(checkID: "live", status: "critical", output: "boom\n"))
    }

    /// A script that outlives its timeout is killed with its group and reported critical, promptly.
    @Test func scriptTimeout() throws {
        let loop = try EventLoop()
        let started = loop.now
        let report = try firstReport(#"{"Args":["/bin/sh","-c","echo waiting; sleep 30"],"Interval":"10s","Timeout":"500ms"}"#, loop: loop)
        #expect(report == CheckStatusUpdate(checkID: "live", status: "critical", output: "Timed out (500ms) running check\n\nwaiting\n"))
        #expect(loop.now.nanoseconds - started.nanoseconds < 10_000_000_000)
    }
}

/// Answers every request on a connection with one canned response, then closes; keeps the requests.
final class TinyHTTPServer {
    private var listener: StreamListener!
    private var sessions: [ObjectIdentifier: Session] = [:]
    private(set) var requests: [String] = []
    let response: String
    var port: Int { listener.localAddress.port }

    init(loop: EventLoop, response: String) throws {
        self.response = response
        listener = try LiveStreamNetwork(loop: loop).listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 16) { [unowned self] c in
            let session = Session(server: self, connection: c)
            self.sessions[ObjectIdentifier(session)] = session
            c.delegate = session
        }
    }

    func close() { listener.close() }

    final class Session: StreamConnectionDelegate {
        unowned let server: TinyHTTPServer
        let connection: StreamConnection
        var buffer: [UInt8] = []
        init(server: TinyHTTPServer, connection: StreamConnection) { self.server = server; self.connection = connection }

        func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
            buffer += bytes
            let text = String(decoding: buffer, as: UTF8.self)
            guard text.contains("\r\n\r\n") else { return }
            server.requests.append(text)
            connection.write(Array(server.response.utf8))
            connection.close()
        }
        func connectionDidClose(_ connection: StreamConnection) { server.sessions[ObjectIdentifier(self)] = nil }
        func connectionDidDrainWrites(_ connection: StreamConnection) {}
    }
}

/// Replies to every datagram.
final class UDPResponder: DatagramSocketDelegate {
    let socket: DatagramSocket
    var received = 0
    init(socket: DatagramSocket) { self.socket = socket }
    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        received += 1
        try? socket.send(Array("pong".utf8), to: sender)
    }
    func socket(_ socket: DatagramSocket, didFail error: NetworkError) {}
}
