import ConsulAPI
import HTTPAPI

/// What a check definition turns into: the record the catalog shows and, for checks the agent
/// runs, the runner. `make` validates first, so a bad definition changes nothing.
public protocol CheckFactory: AnyObject {
    func make(definition: JSONValue, defaults: CheckDefaults,
              report: @escaping (_ status: String, _ output: String) -> Void) -> Result<(HealthCheck, LocalCheckRunner?), HTTPResponseError>
}

/// Values a check takes from its context when its definition leaves them out.
public struct CheckDefaults: Sendable {
    public var node: String
    public var checkID: String
    public var name: String
    public var serviceID: String
    public var serviceName: String
    public var serviceTags: [String]
}

/// Service and check registration for the local agent, with Consul's validation and texts.
extension Agent {
    func registerServiceDefinition(_ definition: JSONValue, replaceExistingChecks: Bool) -> HTTPResponseError? {
        guard definition.objectValue != nil else { return HTTPResponseError(400, "Request decode failed: expected a JSON object") }
        var service: NodeService
        do { service = try NodeService.decode(JSONFields(definition)) } catch {
            return HTTPResponseError(400, "Request decode failed: \(error)")
        }
        if service.service.isEmpty { return HTTPResponseError(400, "Missing service name") }
        if service.id.isEmpty { service.id = service.service }
        if service.kind == "connect-proxy" && service.proxyDestination.isEmpty {
            return HTTPResponseError(400, "Invalid Proxy Configuration: Proxy.DestinationServiceName must be non-empty for Connect proxy services")
        }
        if ["0.0.0.0", "::", "[::]"].contains(service.address) { return HTTPResponseError(400, "Invalid service address") }
        if let problem = validateMeta(service.meta) { return HTTPResponseError(400, "Invalid Service Meta: \(problem)") }
        if service.weightsPassing < 1 || service.weightsPassing > 65535 || service.weightsWarning < 0 || service.weightsWarning > 65535 {
            return HTTPResponseError(400, "Invalid Weights: Passing must be between 1 and 65535, Warning between 0 and 65535")
        }
        let fields = JSONFields(definition)
        var checkDefinitions: [JSONValue] = []
        if let one = fields.raw("Check"), one.objectValue != nil { checkDefinitions.append(one) }
        if let many = fields.raw("Checks")?.arrayValue { checkDefinitions += many.filter { $0.objectValue != nil } }
        // Validate every check before touching local state: nothing is half-registered.
        var made: [(HealthCheck, LocalCheckRunner?, JSONValue)] = []
        for (n, def) in checkDefinitions.enumerated() {
            let id = checkDefinitions.count == 1 ? "service:\(service.id)" : "service:\(service.id):\(n + 1)"
            let defaults = CheckDefaults(node: config.nodeName, checkID: id, name: "Service '\(service.service)' check",
                                         serviceID: service.id, serviceName: service.service, serviceTags: service.tags)
            switch makeCheck(def, defaults) {
            case .success(let (check, runner)): made.append((check, runner, def))
            case .failure(let error):
                for (_, runner, _) in made { runner?.stop() }
                return error
            }
        }
        local.addService(service)
        // Re-registering keeps what existing checks last reported: identical re-registrations
        // (config reloads, clients re-asserting) must not flap health.
        for i in made.indices {
            if let existing = local.checks[made[i].0.checkID], made[i].0.type != "ttl" || existing.status != "critical" {
                made[i].0.status = existing.status
                made[i].0.output = existing.output
            }
        }
        if replaceExistingChecks {
            let kept = Set(made.map { $0.0.checkID })
            for c in local.checks.values where c.serviceID == service.id && !kept.contains(c.checkID) { local.removeCheck(c.checkID) }
        }
        for (check, runner, def) in made { local.addCheck(check, definition: def, runner: runner) }
        return nil
    }

    func registerCheckDefinition(_ definition: JSONValue) -> HTTPResponseError? {
        guard definition.objectValue != nil else { return HTTPResponseError(400, "Request decode failed: expected a JSON object") }
        let f = JSONFields(definition)
        guard let name = (try? f.string("Name")) ?? nil, !name.isEmpty else { return HTTPResponseError(400, "Missing check name") }
        let serviceID = ((try? f.string("ServiceID", "service_id", "serviceid")) ?? nil) ?? ""
        var serviceName = "", tags: [String] = []
        if !serviceID.isEmpty {
            guard let s = local.services[serviceID] else { return HTTPResponseError(404, "ServiceID \"\(serviceID)\" does not exist") }
            serviceName = s.service
            tags = s.tags
        }
        if let status = (try? f.string("Status")) ?? nil, !status.isEmpty, !HealthStatus.all.contains(status) {
            return HTTPResponseError(400, "Bad check status")
        }
        let id = ((try? f.string("ID", "CheckID")) ?? nil).flatMap { $0.isEmpty ? nil : $0 } ?? name
        let defaults = CheckDefaults(node: config.nodeName, checkID: id, name: name, serviceID: serviceID,
                                     serviceName: serviceName, serviceTags: tags)
        switch makeCheck(definition, defaults) {
        case .success(let (check, runner)):
            local.addCheck(check, definition: definition, runner: runner)
            return nil
        case .failure(let error):
            return error
        }
    }

    private func makeCheck(_ definition: JSONValue, _ defaults: CheckDefaults) -> Result<(HealthCheck, LocalCheckRunner?), HTTPResponseError> {
        // The runner reports under the ID the factory settled on (it knows every spelling of it).
        let box = CheckIDBox()
        let result = checkFactory.make(definition: definition, defaults: defaults) { [weak self] status, output in
            self?.local.updateStatus(box.id, status: status, output: output)
        }
        if case .success(let (check, _)) = result { box.id = check.checkID }
        return result
    }

    /// Consul's node/service meta rules (≤64 pairs, keys `[A-Za-z0-9_-]` ≤128, values ≤512, no `consul-`).
    func validateMeta(_ meta: [String: String]) -> String? {
        if meta.count > 64 { return "Node metadata cannot contain more than 64 key/value pairs" }
        for (k, v) in meta {
            if k.isEmpty { return "Key cannot be blank" }
            if k.count > 128 { return "Key is too long (limit: 128 characters)" }
            if !k.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                return "Key contains invalid characters"
            }
            if k.hasPrefix("consul-") { return "Key denied: \(k) (the consul- prefix is reserved)" }
            if v.count > 512 { return "Value is too long (limit: 512 characters)" }
        }
        return nil
    }
}

/// Lets a check's report closure learn its final ID after the factory built the check.
final class CheckIDBox {
    var id = ""
}
