import Platform

/// UDP check, as Consul's: send one (empty) datagram on a socket connected to the target, then
/// wait for the timeout. A reply, or silence until the timeout, is passing
/// (`UDP connect <addr>: Success`); an error — ICMP port unreachable arrives as "connection
/// refused" on the connected socket — is critical.
final class UDPProbe: CheckProbe, DatagramSocketDelegate {
    private let target: String
    private let timeoutNanoseconds: UInt64
    private let datagrams: DatagramNetwork
    private let resolver: Resolver
    private let clock: EventLoopClock
    private var socket: DatagramSocket?
    private var timer: TimerHandle?
    private var done: ((CheckResult) -> Void)?

    init(target: String, timeoutNanoseconds: UInt64, environment: CheckEnvironment) {
        self.target = target
        self.timeoutNanoseconds = timeoutNanoseconds
        datagrams = environment.datagrams
        resolver = environment.resolver
        clock = environment.clock
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        self.done = done
        let address: HostPort
        switch HostPort.parse(target) {
        case .failure(let error):
            clock.schedule(after: 0) { [weak self] in self?.finish(.critical("dial udp: \(error)")) }
            return
        case .success(let a):
            address = a
        }
        timer = clock.schedule(after: timeoutNanoseconds) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.finish(self.success)
        }
        resolver.resolve(host: address.host) { [weak self] result in
            guard let self, self.done != nil else { return }
            switch result {
            case .failure(let error):
                self.finish(.critical("dial udp: \(error)"))
            case .success(let ips):
                self.send(to: SocketAddress(host: ips[0], port: address.port))
            }
        }
    }

    private var success: CheckResult { .passing("UDP connect \(target): Success") }

    private func send(to peer: SocketAddress) {
        let local = SocketAddress(host: peer.host.contains(":") ? "::" : "0.0.0.0", port: 0)
        do {
            let socket = try datagrams.bind(local: local, peer: peer)
            self.socket = socket
            socket.delegate = self
            try socket.send([], to: nil)
        } catch {
            finish(.critical("\(error)"))
        }
    }

    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        finish(success)
    }

    func socket(_ socket: DatagramSocket, didFail error: NetworkError) {
        finish(.critical(error.description))
    }

    func cancel() {
        done = nil
        cleanUp()
    }

    private func finish(_ result: CheckResult) {
        guard let done else { return }
        self.done = nil
        cleanUp()
        done(result)
    }

    private func cleanUp() {
        timer?.cancel()
        timer = nil
        socket?.delegate = nil
        socket?.close()
        socket = nil
    }
}
