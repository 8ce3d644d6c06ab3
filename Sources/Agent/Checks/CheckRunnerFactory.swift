import ConsulAPI
import Platform

/// Why a valid definition still gets no runner on this agent.
public struct CheckRunnerError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Consul refuses script checks (registration fails) unless the agent enables them.
    public static let scriptChecksDisabled = CheckRunnerError(
        "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true")
}

/// Builds the runner for a check definition, applying the agent's rules: the 1 s minimum
/// interval, per-kind default timeouts, the output size limit, and the success/failure thresholds.
public enum CheckRunnerFactory {
    /// `type` must have passed `validate()`. `checkID` is the check's final ID (the definition's
    /// may be empty when the agent derives it). The runner is returned unstarted; call `start()`.
    /// TTL checks return a `TTLCheckRunner` (cast to reach `update`). Throws when script checks
    /// are disabled.
    public static func make(type: CheckType, checkID: String, environment: CheckEnvironment,
                            report: @escaping (CheckStatusUpdate) -> Void) throws(CheckRunnerError) -> CheckRunner {
        let outputMaxSize = effectiveOutputMaxSize(type, agentLimit: environment.outputMaxSize)
        guard let kind = type.kind else {
            throw CheckRunnerError("Check type is not valid")
        }
        switch kind {
        case .ttl:
            return TTLCheckRunner(checkID: checkID, ttlNanoseconds: UInt64(type.ttlNanoseconds), outputMaxSize: outputMaxSize,
                                  clock: environment.clock, log: environment.log, report: report)
        case .alias:
            return AliasCheckRunner(checkID: checkID, target: AliasTarget(node: type.aliasNode, serviceID: type.aliasService),
                                    source: environment.aliasSource, report: report)
        case .script, .docker:
            guard environment.enableScriptChecks else { throw .scriptChecksDisabled }
        default:
            break
        }
        let probe = makeProbe(kind, type: type, outputMaxSize: outputMaxSize, environment: environment)
        var interval = type.intervalNanoseconds
        if interval < CheckLimits.minimumIntervalNanoseconds {
            environment.log(.warn, "check has interval below minimum", [("check", checkID), ("minimum_interval", "1s")])
            interval = CheckLimits.minimumIntervalNanoseconds
        }
        return PeriodicCheckRunner(checkID: checkID, intervalNanoseconds: UInt64(interval), clock: environment.clock,
                                   random: environment.random, probe: probe, thresholds: CheckStatusHandler(type),
                                   log: environment.log, report: report)
    }

    /// `make` with the definition's own ID.
    public static func make(type: CheckType, environment: CheckEnvironment,
                            report: @escaping (CheckStatusUpdate) -> Void) throws(CheckRunnerError) -> CheckRunner {
        try make(type: type, checkID: type.checkID, environment: environment, report: report)
    }

    /// The agent's limit (default 4096), lowered by the definition's `OutputMaxSize` when smaller.
    public static func effectiveOutputMaxSize(_ type: CheckType, agentLimit: Int) -> Int {
        let agent = agentLimit > 0 ? agentLimit : CheckLimits.outputMaxSize
        return type.outputMaxSize > 0 && type.outputMaxSize < agent ? type.outputMaxSize : agent
    }

    /// The timeout an attempt gets: the definition's, else the kind's default.
    public static func effectiveTimeoutNanoseconds(_ type: CheckType) -> Int64 {
        if type.timeoutNanoseconds > 0 { return type.timeoutNanoseconds }
        return type.kind == .script || type.kind == .docker || type.kind == .osService
            ? CheckLimits.scriptTimeoutNanoseconds : CheckLimits.networkTimeoutNanoseconds
    }

    private static func makeProbe(_ kind: CheckKind, type: CheckType, outputMaxSize: Int,
                                  environment: CheckEnvironment) -> CheckProbe {
        let timeout = UInt64(effectiveTimeoutNanoseconds(type))
        switch kind {
        case .http:
            return HTTPProbe(type: type, timeoutNanoseconds: timeout, outputMaxSize: outputMaxSize, environment: environment)
        case .tcp:
            return TCPProbe(target: type.tcp, useTLS: type.tcpUseTLS, timeoutNanoseconds: timeout, environment: environment,
                            tlsServerName: type.tlsServerName, tlsSkipVerify: type.tlsSkipVerify)
        case .udp:
            return UDPProbe(target: type.udp, timeoutNanoseconds: timeout, environment: environment)
        case .script:
            return ScriptProbe(arguments: type.scriptArgs, timeoutNanoseconds: timeout, outputMaxSize: outputMaxSize,
                               environment: environment)
        case .grpc:
            return GRPCProbe(target: type.grpc, useTLS: type.grpcUseTLS, timeoutNanoseconds: timeout, environment: environment)
        case .h2ping:
            return UnsupportedProbe(message: "H2PING checks are not supported by this build", clock: environment.clock)
        case .docker:
            return UnsupportedProbe(message: "Docker checks are not supported by this build", clock: environment.clock)
        case .osService:
            return UnsupportedProbe(message: "OS service checks are not supported by this build", clock: environment.clock)
        case .ttl, .alias:
            preconditionFailure("TTL and alias checks are not polled")
        }
    }
}
