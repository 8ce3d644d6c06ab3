import Agent
import Platform
import Testing

/// UDP checks over fake sockets: silence or a reply is passing, an error critical.
@Suite struct UDPCheckTests {
    /// One empty datagram goes to the connected peer; silence until the timeout is passing.
    @Test func silenceIsPassing() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"UDP":"127.0.0.1:53","Interval":"10s","Timeout":"2s"}"#)
        world.clock.turn()
        let (socket, peer) = try #require(world.datagrams.sockets.first)
        #expect(peer == SocketAddress(host: "127.0.0.1", port: 53))
        #expect(socket.sent == [[]])
        world.clock.advance(by: 1_999_999_999)
        #expect(world.reports.isEmpty)
        world.clock.advance(by: 1)
        #expect(world.reports == [.init(checkID: "check", status: "passing", output: "UDP connect 127.0.0.1:53: Success")])
        #expect(socket.closed)
        runner.stop()
    }

    /// A reply is passing at once.
    @Test func replyIsPassing() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"UDP":"127.0.0.1:53","Interval":"10s"}"#)
        world.clock.turn()
        let socket = world.datagrams.sockets[0].socket
        [UInt8(1)].withUnsafeBytes { socket.delegate?.socket(socket, didReceive: $0, from: .init(host: "127.0.0.1", port: 53)) }
        #expect(world.statuses == ["passing"])
        runner.stop()
    }

    /// An ICMP error reported on the socket is critical with the error.
    @Test func errorIsCritical() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"UDP":"127.0.0.1:9","Interval":"10s"}"#)
        world.clock.turn()
        let socket = world.datagrams.sockets[0].socket
        socket.delegate?.socket(socket, didFail: NetworkError(operation: "read udp", address: "127.0.0.1:9", message: "connection refused"))
        #expect(world.reports == [.init(checkID: "check", status: "critical", output: "read udp 127.0.0.1:9: connection refused")])
        #expect(socket.closed)
        runner.stop()
    }
}
