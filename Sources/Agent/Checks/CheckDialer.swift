import Platform

/// Resolve-then-connect for TCP and HTTP checks, bounded by one deadline as Go's dialer is:
/// the name is resolved off the loop, then each address is tried in order until one connects.
/// Errors read like Go's (`dial tcp 127.0.0.1:1: connect: connection refused`).
final class CheckDialer {
    private let network: StreamNetwork
    private let resolver: Resolver
    private let clock: EventLoopClock
    private var completion: ((Result<StreamConnection, DialError>) -> Void)?
    private var deadline = Instant(nanoseconds: 0)
    private var timer: TimerHandle?
    private var pending: [SocketAddress] = []
    private var firstError: DialError?
    private var host = ""

    init(network: StreamNetwork, resolver: Resolver, clock: EventLoopClock) {
        self.network = network
        self.resolver = resolver
        self.clock = clock
    }

    func dial(host: String, port: Int, timeoutNanoseconds: UInt64,
              completion: @escaping (Result<StreamConnection, DialError>) -> Void) {
        self.completion = completion
        self.host = host
        deadline = clock.now.adding(nanoseconds: timeoutNanoseconds)
        // The deadline also bounds the lookup, which cannot itself be interrupted.
        timer = clock.schedule(after: timeoutNanoseconds) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.finish(.failure(DialError("dial tcp \(SocketAddress(host: host, port: port)): i/o timeout")))
        }
        resolver.resolve(host: host) { [weak self] result in
            guard let self, self.completion != nil else { return }
            switch result {
            case .failure(let error):
                self.finish(.failure(DialError("dial tcp: \(error)")))
            case .success(let ips):
                self.pending = ips.map { SocketAddress(host: $0, port: port) }
                self.next()
            }
        }
    }

    /// Drops the attempt: no completion; a connection that arrives later is closed.
    func cancel() {
        completion = nil
        timer?.cancel()
        timer = nil
    }

    private func next() {
        guard completion != nil else { return }
        guard !pending.isEmpty else {
            finish(.failure(firstError ?? DialError("dial tcp: lookup \(host): no such host")))
            return
        }
        let address = pending.removeFirst()
        let now = clock.now
        let remaining = deadline > now ? deadline.nanoseconds - now.nanoseconds : 1
        network.connect(to: address, timeoutNanoseconds: remaining) { [weak self] result in
            guard let self, self.completion != nil else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .success(let connection):
                self.finish(.success(connection))
            case .failure(let error):
                if self.firstError == nil { self.firstError = DialError(error.description) }
                self.next()
            }
        }
    }

    private func finish(_ result: Result<StreamConnection, DialError>) {
        guard let completion else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        self.completion = nil
        timer?.cancel()
        timer = nil
        completion(result)
    }
}

/// Why a check could not connect, worded as Go's dialer words it.
struct DialError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
