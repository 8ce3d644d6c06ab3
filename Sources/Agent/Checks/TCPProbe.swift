import Platform

/// TCP check: passing when a connection opens within the timeout (`TCP connect <addr>: Success`),
/// otherwise critical with the dial error. The connection is closed at once.
final class TCPProbe: CheckProbe {
    private let target: String
    private let useTLS: Bool
    private let timeoutNanoseconds: UInt64
    private let network: StreamNetwork
    private let resolver: Resolver
    private let clock: EventLoopClock
    private let tls: TLSClient?
    private let tlsServerName: String
    private let tlsSkipVerify: Bool
    private var dialer: CheckDialer?
    private var pending: ((CheckResult) -> Void)?

    init(target: String, useTLS: Bool, timeoutNanoseconds: UInt64, environment: CheckEnvironment,
         tlsServerName: String = "", tlsSkipVerify: Bool = false) {
        tls = environment.tls
        self.tlsServerName = tlsServerName
        self.tlsSkipVerify = tlsSkipVerify
        self.target = target
        self.useTLS = useTLS
        self.timeoutNanoseconds = timeoutNanoseconds
        network = environment.network
        resolver = environment.resolver
        clock = environment.clock
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        if useTLS && tls == nil {
            clock.schedule(after: 0) { done(.critical(unsupportedTLS)) }
            return
        }
        let address: HostPort
        switch HostPort.parse(target) {
        case .failure(let error):
            clock.schedule(after: 0) { done(.critical("dial tcp: \(error)")) }
            return
        case .success(let a):
            address = a
        }
        let dialer = CheckDialer(network: network, resolver: resolver, clock: clock)
        self.dialer = dialer
        dialer.dial(host: address.host, port: address.port, timeoutNanoseconds: timeoutNanoseconds) { [weak self, target] result in
            self?.dialer = nil
            switch result {
            case .success(let connection):
                guard let self, self.useTLS, let tls = self.tls else {
                    connection.close()
                    return done(.passing("TCP connect \(target): Success"))
                }
                // With TLS the handshake (and, unless skipped, verification) must succeed too.
                self.pending = done
                let name = self.tlsServerName.isEmpty ? address.host : self.tlsServerName
                tls.handshake(over: connection, serverName: name, skipVerify: self.tlsSkipVerify) { [weak self] result in
                    guard let done = self?.pending else {
                        if case .success(let secured) = result { secured.close() }
                        return
                    }
                    self?.pending = nil
                    switch result {
                    case .success(let secured):
                        secured.close()
                        done(.passing("TCP connect \(target): Success"))
                    case .failure(let error):
                        done(.critical("TCP connect \(target): \(error.description)"))
                    }
                }
            case .failure(let error):
                done(.critical(error.description))
            }
        }
    }

    func cancel() {
        dialer?.cancel()
        dialer = nil
        pending = nil
    }
}

/// What checks that would need TLS report: this build has no TLS client.
let unsupportedTLS = "TLS not supported by this build"
