import Foundation
import LiveRuntime
import Platform
import Testing

/// The libuv wrappers on a real loop: timers, cross-thread wake-ups, TCP and UDP on loopback.
@Suite struct EventLoopTests {
    /// Timers fire in deadline order, and a cancelled timer never fires.
    @Test func timersFireInOrderAndCancel() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        loop.schedule(after: 20_000_000) { fired.append("late") }
        loop.schedule(after: 1_000_000) { fired.append("early") }
        let cancelled = loop.schedule(after: 5_000_000) { fired.append("cancelled") }
        cancelled.cancel()
        loop.run()
        #expect(fired == ["early", "late"])
    }

    /// Work posted from other threads runs on the loop thread, every item exactly once.
    @Test func wakeupFromOtherThreads() throws {
        let loop = try EventLoop()
        let wakeup = LoopWakeup(loop: loop)
        let loopThread = pthread_self()
        var count = 0
        var allOnLoop = true
        let total = 4 * 250
        for _ in 0..<4 {
            Thread.detachNewThread {
                for _ in 0..<250 {
                    wakeup.post {
                        allOnLoop = allOnLoop && pthread_equal(pthread_self(), loopThread) != 0
                        count += 1
                        if count == total { wakeup.close() }
                    }
                }
            }
        }
        loop.run()
        #expect(count == total)
        #expect(allOnLoop)
    }

    /// A TCP echo over loopback: accept, read, write, and close notifications.
    @Test func tcpEcho() throws {
        let loop = try EventLoop()
        let network = LiveStreamNetwork(loop: loop)
        let echo = EchoDelegate()
        let listener = try network.listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 16) { connection in
            connection.delegate = echo
            echo.connections.append(connection)
        }
        let port = listener.localAddress.port
        #expect(port > 0)
        var reply: [UInt8] = []
        Thread.detachNewThread {
            if let stream = try? PosixDialer().dial(host: "127.0.0.1", port: port, timeoutMilliseconds: 5000) {
                try? stream.write(Array("ping".utf8))
                reply = (try? stream.read(maxBytes: 100)) ?? []
                stream.close()
            }
        }
        echo.onClose = { listener.close() }
        loop.run()
        #expect(String(decoding: reply, as: UTF8.self) == "ping")
        #expect(echo.closed == 1)
    }

    /// A large write that the kernel cannot take at once is queued and delivered completely,
    /// and the drain callback reports when the queue is empty.
    @Test func largeWriteIsQueuedAndDrained() throws {
        let loop = try EventLoop()
        let network = LiveStreamNetwork(loop: loop)
        let payload = [UInt8](repeating: 7, count: 48 << 20)
        let sender = EchoDelegate()
        sender.echo = false
        let listener = try network.listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 16) { connection in
            connection.delegate = sender
            connection.write(payload)
            sender.pendingAfterWrite = connection.pendingWriteBytes
            connection.close()
        }
        let port = listener.localAddress.port
        var received = 0
        let readerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { readerDone.signal() }
            guard let stream = try? PosixDialer().dial(host: "127.0.0.1", port: port, timeoutMilliseconds: 10_000) else { return }
            // Read only after the sender has written: the kernel's buffers then fill up and the
            // rest must queue (reading at once raced the write on a fast machine).
            usleep(300_000)
            while let chunk = try? stream.read(maxBytes: 1 << 16), !chunk.isEmpty { received += chunk.count }
            stream.close()
        }
        sender.onClose = { listener.close() }
        loop.run()
        readerDone.wait()
        #expect(received == payload.count)
        #expect(sender.pendingAfterWrite > 0)
    }

    /// UDP datagrams arrive with their sender, and replies reach it.
    @Test func udpRoundTrip() throws {
        let loop = try EventLoop()
        var server: UDPSocket?
        server = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { bytes, from in
            server?.send(Array(bytes) + Array("!".utf8), to: from)
        }
        var answer = ""
        var client: UDPSocket?
        client = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { bytes, _ in
            answer = String(decoding: Array(bytes), as: UTF8.self)
            client?.close()
            server?.close()
        }
        client!.send(Array("hi".utf8), to: server!.localAddress)
        loop.run()
        #expect(answer == "hi!")
    }

    /// A signal delivered to the process runs its watcher on the loop.
    @Test func signalWatcher() throws {
        let loop = try EventLoop()
        var caught = false
        var watcher: SignalWatcher?
        watcher = try SignalWatcher(loop: loop, signal: SIGUSR1) {
            caught = true
            watcher?.close()
        }
        loop.schedule(after: 0) { kill(getpid(), SIGUSR1) }
        loop.run()
        #expect(caught)
    }
}

final class EchoDelegate: StreamConnectionDelegate {
    var connections: [StreamConnection] = []
    var echo = true
    var closed = 0
    var pendingAfterWrite = 0
    var onClose: (() -> Void)?

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        if echo { connection.write(Array(bytes)) }
    }
    func connectionDidClose(_ connection: StreamConnection) {
        closed += 1
        onClose?()
    }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}
