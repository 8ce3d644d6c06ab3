import Platform
import Server
import ConsulAPI
import HTTPAPI

/// The local agent's catalog identity and the `/v1/agent/*` operations.
extension Agent: LocalAgent {
    public func hostReport() -> HostReport? {
        environment.hostFacts.hostReport(dataDirectory: config.dataDir)
    }

    /// This node as anti-entropy registers it.
    var nodeRecord: CatalogNode {
        var n = CatalogNode()
        n.id = nodeID
        n.node = config.nodeName
        n.address = config.effectiveAdvertiseAddr
        n.datacenter = config.datacenter
        n.taggedAddresses = ["lan": n.address, "lan_ipv4": n.address, "wan": n.address, "wan_ipv4": n.address]
        n.meta = nodeMeta.merging(["consul-network-segment": "", "consul-version": ConsulVersion.version]) { _, ours in ours }
        return n
    }

    /// serfHealth for every agent, and the `consul` service on servers (clients and UIs expect both).
    var builtInCatalogEntries: (services: [NodeService], checks: [HealthCheck]) {
        var services: [NodeService] = []
        if config.server { services.append(ConsulServer.consulService(port: config.ports.server)) }
        return (services, [ConsulServer.serfHealth(of: config.nodeName, from: nil, passing: true)])
    }

    public func watchLogs(level: String, _ line: @escaping (String) -> Void) -> UInt64? {
        guard let parsed = LogLevel(name: level) else { return nil }
        return logger.tap.add(level: parsed, line)
    }

    public func cancelLogWatch(_ token: UInt64) { logger.tap.remove(token) }

    public func localServices() -> [NodeService] { Array(local.services.values) }
    public func localChecks() -> [HealthCheck] { Array(local.checks.values) }
    public func watchLocalChanges(_ wake: @escaping () -> Void) -> UInt64 { local.watch(wake) }
    public func cancelLocalWatch(_ token: UInt64) { local.cancelWatch(token) }

    public func registerService(_ definition: JSONValue, replaceExistingChecks: Bool,
                                completion: @escaping (HTTPResponseError?) -> Void) {
        if let error = registerServiceDefinition(definition, replaceExistingChecks: replaceExistingChecks) { return completion(error) }
        guard let records = environment.serviceRecords, let id = serviceID(of: definition) else { return completion(nil) }
        records.put(id, definition.encoded()) { ok in completion(ok ? nil : HTTPResponseError(500, "failed to persist service \(id)")) }
    }

    public func deregisterService(id: String, completion: @escaping (HTTPResponseError?) -> Void) {
        guard local.services[id] != nil else { return completion(nil) } // unknown IDs are a no-op, as documented
        for c in local.checks.values where c.serviceID == id {
            environment.checkRecords?.remove(c.checkID, completion: recordFailureLogged("remove persisted check", c.checkID))
            environment.checkStateRecords?.remove(c.checkID, completion: recordFailureLogged("remove check state", c.checkID))
        }
        local.removeService(id)
        guard let records = environment.serviceRecords else { return completion(nil) }
        records.remove(id) { ok in completion(ok ? nil : HTTPResponseError(500, "failed to remove persisted service \(id)")) }
    }

    public func registerCheck(_ definition: JSONValue, completion: @escaping (HTTPResponseError?) -> Void) {
        if let error = registerCheckDefinition(definition) { return completion(error) }
        guard let records = environment.checkRecords, let id = checkID(of: definition) else { return completion(nil) }
        records.put(id, definition.encoded()) { ok in completion(ok ? nil : HTTPResponseError(500, "failed to persist check \(id)")) }
    }

    public func deregisterCheck(id: String, completion: @escaping (HTTPResponseError?) -> Void) {
        local.removeCheck(id)
        environment.checkStateRecords?.remove(id, completion: recordFailureLogged("remove check state", id))
        guard let records = environment.checkRecords else { return completion(nil) }
        records.remove(id) { ok in completion(ok ? nil : HTTPResponseError(500, "failed to remove persisted check \(id)")) }
    }

    /// API registrations from before a restart; definitions from config files win over them.
    func restorePersistedDefinitions() {
        for (id, bytes) in (try? environment.serviceRecords?.loadAll()) ?? [] where configServices[id] == nil {
            guard let def = try? JSONParser.parse(bytes), registerServiceDefinition(def, replaceExistingChecks: false) == nil else {
                logger.warn("dropping unreadable persisted service", [("service", id)])
                environment.serviceRecords?.remove(id, completion: recordFailureLogged("remove persisted service", id))
                continue
            }
        }
        for (id, bytes) in (try? environment.checkRecords?.loadAll()) ?? [] where configChecks[id] == nil {
            guard let def = try? JSONParser.parse(bytes), registerCheckDefinition(def) == nil else {
                logger.warn("dropping unreadable persisted check", [("check", id)])
                environment.checkRecords?.remove(id, completion: recordFailureLogged("remove persisted check", id))
                continue
            }
        }
        restoreTTLStates()
    }

    /// The completion of a record write nobody waits for: a failure is logged, not dropped.
    private func recordFailureLogged(_ what: String, _ id: String) -> (Bool) -> Void {
        { [logger] ok in if !ok { logger.warn("failed to \(what)", [("id", id)]) } }
    }

    private func serviceID(of definition: JSONValue) -> String? {
        let f = JSONFields(definition)
        let id = ((try? f.string("ID")) ?? nil) ?? ""
        return id.isEmpty ? ((try? f.string("Name")) ?? nil) : id
    }

    private func checkID(of definition: JSONValue) -> String? {
        let f = JSONFields(definition)
        let id = ((try? f.string("ID", "CheckID")) ?? nil) ?? ""
        return id.isEmpty ? ((try? f.string("Name")) ?? nil) : id
    }

    public func updateTTLCheck(id: String, status: String, output: String) -> HTTPResponseError? {
        guard let runner = local.runner(for: id), runner.heartbeat(status: status, output: output) else {
            return HTTPResponseError(500, "CheckID \"\(id)\" does not have associated TTL")
        }
        persistTTLState(id)
        return nil
    }

    /// Saves a TTL check's status as `{CheckID,Status,Output,Expires}` (Expires = wall-clock
    /// Unix nanoseconds when the TTL runs out), as Consul's `checks/state` does.
    private func persistTTLState(_ id: String) {
        guard let records = environment.checkStateRecords, let check = local.checks[id],
              let def = local.checkDefinitions[id], let ttl = (try? CheckType.decode(def))?.ttlNanoseconds, ttl > 0 else { return }
        let expires = environment.clock.wallClockNanoseconds + ttl
        let state = JSONValue.object([("CheckID", .string(id)), ("Status", .string(check.status)),
                                      ("Output", .string(check.output)), ("Expires", .number(String(expires)))])
        records.put(id, state.encoded(), completion: recordFailureLogged("persist check state", id))
    }

    /// Restores saved TTL statuses whose expiry is still in the future; drops the rest.
    func restoreTTLStates() {
        guard let records = environment.checkStateRecords else { return }
        let now = environment.clock.wallClockNanoseconds
        for (id, bytes) in (try? records.loadAll()) ?? [] {
            let f = (try? JSONParser.parse(bytes)).map(JSONFields.init)
            let status = ((try? f?.string("Status")) ?? nil) ?? ""
            let output = ((try? f?.string("Output")) ?? nil) ?? ""
            let expires = ((try? JSONParser.parse(bytes))?.objectValue?.first { $0.0 == "Expires" }?.1).flatMap { v -> Int64? in
                if case .number(let text) = v { return Int64(text) }
                return nil
            } ?? 0
            guard local.checks[id] != nil, local.runner(for: id) != nil, expires > now, HealthStatus.all.contains(status),
                  local.runner(for: id)!.heartbeat(status: status, output: output) else {
                records.remove(id, completion: recordFailureLogged("remove check state", id))
                continue
            }
        }
    }

    public func setServiceMaintenance(id: String, enable: Bool, reason: String) -> HTTPResponseError? {
        guard let service = local.services[id] else { return HTTPResponseError(404, "No service registered with ID \"\(id)\"") }
        let checkID = "_service_maintenance:\(id)"
        if enable {
            var c = HealthCheck()
            c.node = config.nodeName
            c.checkID = checkID
            c.name = "Service Maintenance Mode"
            c.status = HealthStatus.critical
            c.notes = reason.isEmpty ? "Maintenance mode is enabled for this service, but no reason was provided. This is a default message." : reason
            c.serviceID = id
            c.serviceName = service.service
            c.serviceTags = service.tags
            c.type = "maintenance"
            local.addCheck(c, definition: nil, runner: nil)
        } else {
            local.removeCheck(checkID)
        }
        return nil
    }

    public func setNodeMaintenance(enable: Bool, reason: String) {
        if enable {
            var c = HealthCheck()
            c.node = config.nodeName
            c.checkID = "_node_maintenance"
            c.name = "Node Maintenance Mode"
            c.status = HealthStatus.critical
            c.notes = reason.isEmpty ? "Maintenance mode is enabled for this node, but no reason was provided. This is a default message." : reason
            c.type = "maintenance"
            local.addCheck(c, definition: nil, runner: nil)
        } else {
            local.removeCheck("_node_maintenance")
        }
    }

    public func reload(completion: @escaping (HTTPResponseError?) -> Void) {
        reloadConfiguration { error in completion(error.map { HTTPResponseError(500, "Failed reloading config: \($0)") }) }
    }

    public func leave(completion: @escaping () -> Void) {
        logger.info("Graceful leave requested through the API")
        leaveGossip { [weak self] in
            completion()
            self?.environment.clock.schedule(after: 0) { [weak self] in self?.onLeave() }
        }
    }
}
