import Foundation
import LiveRuntime
import Platform
import Testing

/// The outbound libuv wrappers on a real loop: TCP connect, UDP sockets, name resolution and
/// child processes. Each test stops its loop when the expected event arrives; a watchdog
/// stops it after a bound so a broken wrapper fails instead of hanging.
@Suite struct OutboundTests {
    /// Runs the loop until `stop` is called or the bound passes (then records a failure).
    private func runLoop(_ loop: EventLoop, boundSeconds: UInt64 = 20, _ body: (_ stop: @escaping () -> Void) throws -> Void) throws {
        var finished = false
        let watchdog = loop.schedule(after: boundSeconds * 1_000_000_000) { loop.stop() }
        try body { finished = true; watchdog.cancel(); loop.stop() }
        loop.run()
        #expect(finished, "the loop's watchdog fired before the expected event")
        watchdog.cancel()
        for _ in 0..<5 { loop.runOnce() }
    }

    /// connect reaches a listener, and the connection carries bytes both ways.
    @Test func connectToListener() throws {
        let loop = try EventLoop()
        let network = LiveStreamNetwork(loop: loop)
        var accepted: StreamConnection?
        let listener = try network.listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 8) { accepted = $0 }
        let reader = Collector()
        try runLoop(loop) { stop in
            network.connect(to: listener.localAddress, timeoutNanoseconds: 5_000_000_000) { result in
                guard case .success(let connection) = result else { Issue.record("connect failed: \(result)"); stop(); return }
                reader.connection = connection
                connection.delegate = reader
                accepted?.write(Array("hello".utf8))
                reader.onData = { if reader.text == "hello" { connection.close(); listener.close(); stop() } }
            }
        }
        #expect(reader.text == "hello")
        #expect(reader.connection?.remoteAddress == listener.localAddress)
    }

    /// A closed port is refused with libuv's words; the completion runs once.
    @Test func connectRefused() throws {
        let loop = try EventLoop()
        let port = try OutboundTests.closedPort(loop)
        var results: [String] = []
        try runLoop(loop) { stop in
            LiveStreamNetwork(loop: loop).connect(to: SocketAddress(host: "127.0.0.1", port: port), timeoutNanoseconds: 5_000_000_000) { result in
                if case .failure(let error) = result { results.append(error.description) } else { results.append("connected") }
                loop.schedule(after: 50_000_000) { stop() }
            }
        }
        #expect(results == ["dial tcp 127.0.0.1:\(port): connect: connection refused"])
    }

    /// A listening port number that is free again (bound, then closed).
    static func closedPort(_ loop: EventLoop) throws -> Int {
        let listener = try LiveStreamNetwork(loop: loop).listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 1) { _ in }
        let port = listener.localAddress.port
        listener.close()
        loop.runOnce()
        return port
    }

    /// A connected UDP socket exchanges datagrams with a bound one; sending to a closed port
    /// reports "connection refused" (ICMP port unreachable).
    @Test func datagrams() throws {
        let loop = try EventLoop()
        let network = LiveDatagramNetwork(loop: loop)
        let server = try network.bind(local: SocketAddress(host: "127.0.0.1", port: 0), peer: nil)
        let echo = DatagramCollector()
        echo.onDatagram = { bytes, from in try? server.send(bytes + Array("!".utf8), to: from) }
        server.delegate = echo
        let client = try network.bind(local: SocketAddress(host: "127.0.0.1", port: 0), peer: server.localAddress)
        let collector = DatagramCollector()
        client.delegate = collector
        let closedPort = try OutboundTests.closedPort(loop)
        let refused = try network.bind(local: SocketAddress(host: "127.0.0.1", port: 0), peer: SocketAddress(host: "127.0.0.1", port: closedPort))
        let refusedCollector = DatagramCollector()
        refused.delegate = refusedCollector
        try runLoop(loop) { stop in
            let check = { if !collector.received.isEmpty && !refusedCollector.errors.isEmpty { stop() } }
            collector.onDatagram = { _, _ in check() }
            refusedCollector.onError = { _ in check() }
            try client.send(Array("hi".utf8), to: nil)
            try refused.send([], to: nil)
        }
        #expect(collector.received == ["hi!"])
        #expect(refusedCollector.errors.first?.hasSuffix("connection refused") == true)
        server.close(); client.close(); refused.close()
    }

    /// localhost resolves on the thread pool; literals resolve to themselves.
    @Test func resolver() throws {
        let loop = try EventLoop()
        let resolver = LiveResolver(loop: loop)
        var localhost: [String] = [], literal: [String] = []
        try runLoop(loop) { stop in
            resolver.resolve(host: "localhost") { result in
                localhost = (try? result.get()) ?? []
                resolver.resolve(host: "::1") { result in literal = (try? result.get()) ?? []; stop() }
            }
        }
        #expect(localhost.contains("127.0.0.1") || localhost.contains("::1"))
        #expect(literal == ["::1"])
    }

    /// A child's exit code, combined stdout+stderr, environment, and output tail with total.
    @Test func processExitAndOutput() throws {
        let loop = try EventLoop()
        let runner = LiveProcessRunner(loop: loop)
        var outcomes: [ProcessOutcome] = []
        try runLoop(loop) { stop in
            let finished = { (o: ProcessOutcome) in outcomes.append(o); if outcomes.count == 3 { stop() } }
            _ = try runner.run(ProcessRequest(arguments: ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]), completion: finished)
            _ = try runner.run(ProcessRequest(arguments: ["sh", "-c", "printf %s \"$GREETING\""], environment: ["GREETING=hi there"]),
                               completion: finished)
            _ = try runner.run(ProcessRequest(arguments: ["/bin/sh", "-c", "printf 0123456789"], outputLimitBytes: 4), completion: finished)
        }
        let byOutput = Dictionary(uniqueKeysWithValues: outcomes.map { (String(decoding: $0.output, as: UTF8.self), $0) })
        #expect(byOutput["out\nerr\n"]?.termination == .exited(code: 3))
        #expect(byOutput["hi there"]?.termination == .exited(code: 0))
        #expect(byOutput["6789"]?.totalOutputBytes == 10)
    }

    /// A timeout kills the whole process group — the child and what it started — and reports `.timedOut`.
    @Test func processTimeoutKillsGroup() throws {
        let loop = try EventLoop()
        let runner = LiveProcessRunner(loop: loop)
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        var outcome: ProcessOutcome?
        let started = loop.now
        try runLoop(loop) { stop in
            _ = try runner.run(ProcessRequest(arguments: ["/bin/sh", "-c", "sleep 60 & echo $! > \(pidFile); echo started; wait"],
                                              timeoutNanoseconds: 300_000_000)) { outcome = $0; stop() }
        }
        #expect(outcome?.termination == .timedOut)
        #expect(outcome.map { String(decoding: $0.output, as: UTF8.self) } == "started\n")
        #expect(loop.now.nanoseconds - started.nanoseconds < 5_000_000_000)
        let grandchild = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The grandchild was SIGKILLed with its group; it may linger as a zombie until init reaps it.
        var alive = true
        for _ in 0..<200 where alive {
            let state = (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            alive = state != nil && state != "Z"
            if alive { usleep(10_000) }
        }
        #expect(!alive, "the background sleep outlived its process group")
    }

    /// kill() ends a running child; a missing program fails to spawn with libuv's reason.
    @Test func killAndSpawnFailure() throws {
        let loop = try EventLoop()
        let runner = LiveProcessRunner(loop: loop)
        var outcome: ProcessOutcome?
        try runLoop(loop) { stop in
            let child = try runner.run(ProcessRequest(arguments: ["sleep", "60"])) { outcome = $0; stop() }
            loop.schedule(after: 50_000_000) { child.kill() }
        }
        #expect(outcome?.termination == .signaled(signal: SIGKILL))
        #expect(throws: ProcessError(program: "/nonexistent/program", message: "no such file or directory")) {
            _ = try runner.run(ProcessRequest(arguments: ["/nonexistent/program"])) { _ in }
        }
        for _ in 0..<5 { loop.runOnce() }
    }
}

/// Collects what a connection reads.
final class Collector: StreamConnectionDelegate {
    var connection: StreamConnection?
    var bytes: [UInt8] = []
    var onData: () -> Void = {}
    var text: String { String(decoding: bytes, as: UTF8.self) }
    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) { self.bytes += bytes; onData() }
    func connectionDidClose(_ connection: StreamConnection) {}
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}

/// Collects a datagram socket's events.
final class DatagramCollector: DatagramSocketDelegate {
    var received: [String] = []
    var errors: [String] = []
    var onDatagram: ([UInt8], SocketAddress) -> Void = { _, _ in }
    var onError: (NetworkError) -> Void = { _ in }
    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        received.append(String(decoding: bytes, as: UTF8.self))
        onDatagram(Array(bytes), sender)
    }
    func socket(_ socket: DatagramSocket, didFail error: NetworkError) {
        errors.append(error.description)
        onError(error)
    }
}
