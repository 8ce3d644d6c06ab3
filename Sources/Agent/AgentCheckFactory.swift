import ConsulAPI
import HTTPAPI
import Platform

/// Turns check definitions into catalog records and running checks: decoding and validation
/// (`Checks/CheckType*`), then a runner from `CheckRunnerFactory`, adapted to LocalState.
final class AgentCheckFactory: CheckFactory {
    private let environment: CheckEnvironment

    init(environment: CheckEnvironment) { self.environment = environment }

    func make(definition: JSONValue, defaults: CheckDefaults,
              report: @escaping (String, String) -> Void) -> Result<(HealthCheck, LocalCheckRunner?), HTTPResponseError> {
        let type: CheckType
        do { type = try CheckType.decode(definition) } catch {
            return .failure(HTTPResponseError(400, "Request decode failed: \(error)"))
        }
        do { try type.validate() } catch { return .failure(HTTPResponseError(400, error.httpText)) }
        if !type.status.isEmpty && !HealthStatus.all.contains(type.status) {
            return .failure(HTTPResponseError(400, "Status for checks must 'passing', 'warning', 'critical'"))
        }
        var check = HealthCheck()
        check.node = defaults.node
        check.checkID = type.checkID.isEmpty ? defaults.checkID : type.checkID
        check.name = type.name.isEmpty ? defaults.name : type.name
        check.status = type.initialStatus
        check.notes = type.notes
        check.serviceID = defaults.serviceID
        check.serviceName = defaults.serviceName
        check.serviceTags = defaults.serviceTags
        check.type = type.kind?.rawValue ?? ""
        if type.intervalNanoseconds > 0 { check.interval = GoDuration.format(type.intervalNanoseconds) }
        if type.timeoutNanoseconds > 0 { check.timeout = GoDuration.format(type.timeoutNanoseconds) }
        check.definition = definitionEcho(type)
        guard type.kind != nil else {
            // A check with no kind is data only (nothing runs it), as Consul allows for definitions.
            return .success((check, nil))
        }
        let runner: CheckRunner
        do {
            runner = try CheckRunnerFactory.make(type: type, checkID: check.checkID, environment: environment) { update in
                report(update.status, update.output)
            }
        } catch {
            return .failure(HTTPResponseError(400, "Invalid check: \(error)"))
        }
        // Unstarted: LocalState starts it once the check is stored, so no report is lost.
        return .success((check, RunnerAdapter(runner)))
    }

    /// The `Definition` object Consul shows for a check (only what is set).
    private func definitionEcho(_ t: CheckType) -> [String: String] {
        var d: [String: String] = [:]
        if !t.http.isEmpty { d["HTTP"] = t.http }
        if !t.method.isEmpty { d["Method"] = t.method }
        if !t.tcp.isEmpty { d["TCP"] = t.tcp }
        if !t.udp.isEmpty { d["UDP"] = t.udp }
        if !t.grpc.isEmpty { d["GRPC"] = t.grpc }
        if t.intervalNanoseconds > 0 { d["Interval"] = GoDuration.format(t.intervalNanoseconds) }
        if t.timeoutNanoseconds > 0 { d["Timeout"] = GoDuration.format(t.timeoutNanoseconds) }
        if t.deregisterCriticalServiceAfterNanoseconds > 0 {
            d["DeregisterCriticalServiceAfter"] = GoDuration.format(t.deregisterCriticalServiceAfterNanoseconds)
        }
        return d
    }
}

/// LocalState's view of a runner: stop, and TTL heartbeats for TTL checks.
final class RunnerAdapter: LocalCheckRunner {
    private let runner: CheckRunner
    init(_ runner: CheckRunner) { self.runner = runner }

    func start() { runner.start() }
    func stop() { runner.stop() }

    func heartbeat(status: String, output: String) -> Bool {
        guard let ttl = runner as? TTLCheckRunner else { return false }
        _ = ttl.update(status: status, output: output)
        return true
    }
}
