import Platform

/// gRPC health check (plaintext; agent.md §5.1): `Health/Check` on `host:port[/service]`;
/// passing when the server answers SERVING, critical otherwise or on any error. The timeout
/// bounds dialling and the call together. `GRPCUseTLS` is reported as unsupported.
final class GRPCProbe: CheckProbe, StreamConnectionDelegate {
    private let target: String
    private let useTLS: Bool
    private let timeoutNanoseconds: UInt64
    private let environment: CheckEnvironment
    private var dialer: CheckDialer?
    private var connection: StreamConnection?
    private var exchange = GRPCHealthExchange()
    private var timer: TimerHandle?
    private var done: ((CheckResult) -> Void)?

    init(target: String, useTLS: Bool, timeoutNanoseconds: UInt64, environment: CheckEnvironment) {
        self.target = target
        self.useTLS = useTLS
        self.timeoutNanoseconds = timeoutNanoseconds
        self.environment = environment
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        self.done = done
        exchange = GRPCHealthExchange()
        let clock = environment.clock
        if useTLS { return later(.critical(unsupportedTLS)) }
        let (hostPort, service) = GRPCProbe.split(target)
        let address: HostPort
        switch HostPort.parse(hostPort) {
        case .failure(let error): return later(.critical("gRPC check \(target): failed: \(error)"))
        case .success(let a): address = a
        }
        timer = clock.schedule(after: timeoutNanoseconds) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.finish(.critical("gRPC check \(self.target): failed: context deadline exceeded"))
        }
        let dialer = CheckDialer(network: environment.network, resolver: environment.resolver, clock: clock)
        self.dialer = dialer
        dialer.dial(host: address.host, port: address.port, timeoutNanoseconds: timeoutNanoseconds) { [weak self] result in
            guard let self else { return }
            self.dialer = nil
            switch result {
            case .success(let connection):
                guard self.done != nil else { return connection.close() }
                self.connection = connection
                connection.delegate = self
                connection.write(GRPCHealthExchange.request(authority: hostPort, service: service))
            case .failure(let error):
                self.finish(.critical("gRPC check \(self.target): failed: \(error.description)"))
            }
        }
    }

    /// `host:port/service` → (`host:port`, `service`).
    static func split(_ target: String) -> (String, String) {
        guard let slash = target.firstIndex(of: "/") else { return (target, "") }
        return (String(target[..<slash]), String(target[target.index(after: slash)...]))
    }

    func cancel() {
        done = nil
        cleanUp()
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        let reply = exchange.feed(bytes)
        if !reply.isEmpty { connection.write(reply) }
        if let outcome = exchange.outcome { conclude(outcome) }
    }

    func connectionDidClose(_ connection: StreamConnection) {
        exchange.closed()
        if let outcome = exchange.outcome { conclude(outcome) }
    }

    func connectionDidDrainWrites(_ connection: StreamConnection) {}

    private func conclude(_ outcome: GRPCHealthExchange.Outcome) {
        switch outcome {
        case .status(1): finish(.passing("gRPC check \(target): success"))
        case .status(let s): finish(.critical("gRPC check \(target): failed: status: \(GRPCHealthExchange.statusName(s))"))
        case .failed(let why): finish(.critical("gRPC check \(target): failed: \(why)"))
        }
    }

    private func later(_ result: CheckResult) {
        environment.clock.schedule(after: 0) { [weak self] in self?.finish(result) }
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
        dialer?.cancel()
        dialer = nil
        connection?.delegate = nil
        connection?.close()
        connection = nil
    }
}
