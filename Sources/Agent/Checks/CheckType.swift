/// A check definition as Consul's `CheckType`/`CheckDefinition` carries it: identity, the fields
/// that choose the kind of check, and the timing/threshold knobs. Durations are nanoseconds.
/// Decode with `CheckType.decode(_:)`, then `validate()` before building a runner.
public struct CheckType: Equatable, Sendable {
    // Identity (CheckDefinition: `ID`; embedded in a service: `CheckID`).
    public var checkID = ""
    public var name = ""
    public var serviceID = ""
    /// Initial status as given ("" = not given: the check starts critical).
    public var status = ""
    public var notes = ""

    // What to run.
    public var scriptArgs: [String] = []
    public var http = ""
    public var header: [String: [String]] = [:]
    public var method = ""
    public var body = ""
    public var disableRedirects = false
    public var tcp = ""
    public var tcpUseTLS = false
    public var udp = ""
    public var grpc = ""
    public var grpcUseTLS = false
    public var h2ping = ""
    public var h2pingUseTLS = false
    public var osService = ""
    public var dockerContainerID = ""
    public var shell = ""
    public var aliasNode = ""
    public var aliasService = ""
    public var tlsServerName = ""
    public var tlsSkipVerify = false

    // When and how strictly.
    public var intervalNanoseconds: Int64 = 0
    public var timeoutNanoseconds: Int64 = 0
    public var ttlNanoseconds: Int64 = 0
    public var deregisterCriticalServiceAfterNanoseconds: Int64 = 0
    public var successBeforePassing = 0
    public var failuresBeforeWarning = 0
    public var failuresBeforeCritical = 0
    public var outputMaxSize = 0

    public init() {}

    /// The statuses a definition may start in.
    public static let validStatuses: Set<String> = ["passing", "warning", "critical"]

    /// The status the check has before its first result: `Status` if given, else critical.
    public var initialStatus: String { status.isEmpty ? "critical" : status }

    public var isAlias: Bool { !aliasNode.isEmpty || !aliasService.isEmpty }
    public var isScript: Bool { !scriptArgs.isEmpty }

    /// Kinds whose runner polls every `Interval`.
    var isIntervalCheck: Bool {
        isScript || !http.isEmpty || !tcp.isEmpty || !udp.isEmpty || !grpc.isEmpty || !h2ping.isEmpty || !osService.isEmpty
    }

    /// Consul's `CheckType.Type()`: the kind in its precedence order ("" when none applies).
    public var kind: CheckKind? {
        let polled = intervalNanoseconds > 0
        if !grpc.isEmpty && polled { return .grpc }
        if !http.isEmpty && polled { return .http }
        if ttlNanoseconds > 0 { return .ttl }
        if !tcp.isEmpty && polled { return .tcp }
        if !udp.isEmpty && polled { return .udp }
        if isAlias { return .alias }
        if isScript && !dockerContainerID.isEmpty && polled { return .docker }
        if isScript && polled { return .script }
        if !h2ping.isEmpty && polled { return .h2ping }
        if !osService.isEmpty && polled { return .osService }
        return nil
    }
}

/// The kinds of check, spelled as Consul's `HealthCheck.Type`.
public enum CheckKind: String, Sendable, CaseIterable {
    case script, http, tcp, udp, grpc, h2ping, ttl, alias, docker
    case osService = "os_service"
}
