import Platform

/// A running health check. Loop-confined: `start`, `stop` and every report happen on the loop.
public protocol CheckRunner: AnyObject {
    /// Begins checking; polled kinds run first after a random stagger within one interval.
    func start()
    /// Stops for good: no report is delivered after `stop` returns; work in flight is cancelled
    /// (an HTTP exchange closed, a script's process group killed).
    func stop()
}

/// A check's new verdict, after the success/failure thresholds.
public struct CheckStatusUpdate: Equatable, Sendable {
    public var checkID: String
    /// `passing`, `warning` or `critical`.
    public var status: String
    public var output: String

    public init(checkID: String, status: String, output: String) {
        self.checkID = checkID
        self.status = status
        self.output = output
    }
}

/// Where a check's log lines go: level, message, key/value fields (the agent passes its Logger).
public typealias CheckLog = (_ level: LogLevel, _ message: String, _ fields: [(String, String)]) -> Void

/// The outside world as check runners see it — Platform protocols only, so tests can hand in
/// fakes and the agent the libuv implementations.
public struct CheckEnvironment {
    public var clock: EventLoopClock
    public var random: RandomSource
    public var network: StreamNetwork
    public var datagrams: DatagramNetwork
    public var resolver: Resolver
    public var processes: ProcessRunner
    /// `enable_script_checks` / `enable_local_script_checks` as they apply to this definition's source.
    public var enableScriptChecks: Bool
    /// The agent's `check_output_max_size` (0 = Consul's default, 4096); a definition's smaller
    /// `OutputMaxSize` wins.
    public var outputMaxSize: Int
    /// How alias checks watch their target; nil = alias checks report critical.
    public var aliasSource: AliasSource?
    public var log: CheckLog
    /// TLS for HTTPS and TCP-with-TLS checks; nil = such checks report critical (unsupported).
    public var tls: TLSClient?

    public init(clock: EventLoopClock, random: RandomSource, network: StreamNetwork, datagrams: DatagramNetwork,
                resolver: Resolver, processes: ProcessRunner, enableScriptChecks: Bool, outputMaxSize: Int = 0,
                aliasSource: AliasSource? = nil, log: @escaping CheckLog = { _, _, _ in }) {
        self.clock = clock
        self.random = random
        self.network = network
        self.datagrams = datagrams
        self.resolver = resolver
        self.processes = processes
        self.enableScriptChecks = enableScriptChecks
        self.outputMaxSize = outputMaxSize
        self.aliasSource = aliasSource
        self.log = log
    }
}

/// Consul's numbers for checks.
public enum CheckLimits {
    /// Polled checks never run more often than this (`checks.MinInterval`).
    public static let minimumIntervalNanoseconds: Int64 = 1_000_000_000
    /// `checks.DefaultBufSize`.
    public static let outputMaxSize = 4096
    public static let networkTimeoutNanoseconds: Int64 = 10_000_000_000
    public static let scriptTimeoutNanoseconds: Int64 = 30_000_000_000
}
