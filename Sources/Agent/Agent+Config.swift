import ConsulAPI
import HTTPAPI

/// Services and checks defined in config files: registered at start, and on reload added,
/// replaced or removed — definitions that did not change keep their running checks.
extension Agent {
    /// Registers the definitions that are valid and returns what was wrong with the others
    /// (a reload reports them; at start-up they are logged).
    @discardableResult
    func applyConfigDefinitions(services: [JSONValue], checks: [JSONValue]) -> [String] {
        var problems: [String] = []
        var wantedServices: [String: JSONValue] = [:]
        for def in services {
            guard let s = try? NodeService.decode(JSONFields(def)), !s.service.isEmpty else {
                logger.error("invalid service definition in config; skipped", [("definition", "\(def)")])
                problems.append("invalid service definition: \(def)")
                continue
            }
            wantedServices[s.id.isEmpty ? s.service : s.id] = def
        }
        for (id, _) in configServices where wantedServices[id] == nil {
            local.removeService(id)
            logger.info("removed service from config reload", [("service", id)])
        }
        for (id, def) in wantedServices.sorted(by: { $0.key < $1.key }) where configServices[id] != def {
            if let error = registerServiceDefinition(def, replaceExistingChecks: true) {
                logger.error("failed to register service from config", [("service", id), ("error", error.reason)])
                problems.append("service \(goQuoted(id)): \(error.reason)")
                wantedServices[id] = nil
            }
        }
        configServices = wantedServices

        var wantedChecks: [String: JSONValue] = [:]
        for def in checks {
            let f = JSONFields(def)
            let name = ((try? f.string("Name")) ?? nil) ?? ""
            let id = ((try? f.string("ID", "CheckID")) ?? nil).flatMap { $0.isEmpty ? nil : $0 } ?? name
            wantedChecks[id] = def
        }
        for (id, _) in configChecks where wantedChecks[id] == nil { local.removeCheck(id) }
        for (id, def) in wantedChecks.sorted(by: { $0.key < $1.key }) where configChecks[id] != def {
            if let error = registerCheckDefinition(def) {
                logger.error("failed to register check from config", [("check", id), ("error", error.reason)])
                problems.append("check \(goQuoted(id)): \(error.reason)")
                wantedChecks[id] = nil
            }
        }
        configChecks = wantedChecks
        return problems
    }
}
