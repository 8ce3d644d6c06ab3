import Config
import Metrics
import Platform

/// `telemetry.statsd_address` and `dogstatsd_addr`: the registry's updates as statsd or
/// DogStatsD lines over UDP, sent every 100 ms (as go-metrics' statsd sink and datadog-go
/// flush). Best effort like both libraries: a datagram the kernel refuses is dropped (and
/// logged once), never retried or queued without bound.
final class MetricsSinks {
    private struct Target {
        let lines: StatsdLines
        let address: String
        var socket: DatagramSocket?
        var peer: SocketAddress?
        var warned = false
    }

    static let flushNanoseconds: UInt64 = 100_000_000

    private var targets: [Target] = []
    private let environment: AgentEnvironment
    private let logger: Logger
    private var timer: TimerHandle?
    private var stopped = false

    init(_ telemetry: TelemetryConfig, registry: MetricsRegistry, hostInfix: String?, environment: AgentEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
        if !telemetry.statsdAddress.isEmpty {
            targets.append(Target(lines: StatsdLines(.statsd, hostInfix: hostInfix), address: telemetry.statsdAddress))
        }
        if !telemetry.dogstatsdAddress.isEmpty {
            targets.append(Target(lines: StatsdLines(.dogstatsd(tags: telemetry.dogstatsdTags), hostInfix: hostInfix),
                                  address: telemetry.dogstatsdAddress))
        }
        for t in targets { registry.addSink(t.lines) }
    }

    var isEmpty: Bool { targets.isEmpty }

    /// Resolves each address (a host name off the loop), opens its socket, and starts flushing.
    func start() {
        guard !targets.isEmpty else { return }
        for i in targets.indices {
            guard let (host, port) = Self.split(targets[i].address) else {
                logger.error("telemetry: invalid address, expected host:port", [("address", targets[i].address)])
                continue
            }
            environment.resolver.resolve(host: host) { [weak self] result in
                guard let self, !self.stopped else { return }
                switch result {
                case .success(let ips):
                    guard let ip = ips.first else { return }
                    let peer = SocketAddress(host: ip, port: port)
                    do {
                        let local = SocketAddress(host: ip.contains(":") ? "::" : "0.0.0.0", port: 0)
                        self.targets[i].socket = try self.environment.datagrams.bind(local: local, peer: nil)
                        self.targets[i].peer = peer
                    } catch {
                        self.logger.error("telemetry: cannot open a UDP socket", [("address", self.targets[i].address), ("error", "\(error)")])
                    }
                case .failure(let error):
                    self.logger.error("telemetry: cannot resolve the metrics sink's address", [("address", self.targets[i].address), ("error", "\(error)")])
                }
            }
        }
        scheduleFlush()
    }

    func stop() {
        stopped = true
        timer?.cancel()
        for t in targets { t.socket?.close() }
    }

    private func scheduleFlush() {
        timer = environment.clock.schedule(after: Self.flushNanoseconds) { [weak self] in
            guard let self, !self.stopped else { return }
            self.flush()
            self.scheduleFlush()
        }
    }

    func flush() {
        for i in targets.indices {
            let datagrams = targets[i].lines.take()
            guard let socket = targets[i].socket, let peer = targets[i].peer else { continue }
            for datagram in datagrams {
                do { try socket.send(datagram, to: peer) } catch {
                    if !targets[i].warned {
                        targets[i].warned = true
                        logger.warn("telemetry: metrics datagram not sent", [("address", targets[i].address), ("error", "\(error)")])
                    }
                }
            }
        }
    }

    /// `host:port` or `[v6]:port`.
    static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              port > 0, port < 65536 else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
