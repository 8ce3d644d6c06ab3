import ConsulAPI
import HTTPAPI

/// The local agent's catalog identity and the `/v1/agent/*` operations.
extension Agent: LocalAgent {
    /// This node as anti-entropy registers it.
    var nodeRecord: CatalogNode {
        var n = CatalogNode()
        n.id = nodeID
        n.node = config.nodeName
        n.address = config.effectiveAdvertiseAddr
        n.datacenter = config.datacenter
        n.taggedAddresses = ["lan": n.address, "lan_ipv4": n.address, "wan": n.address, "wan_ipv4": n.address]
        n.meta = ["consul-network-segment": "", "consul-version": ConsulVersion.version]
        return n
    }

    /// serfHealth for every agent, and the `consul` service on servers (clients and UIs expect both).
    var builtInCatalogEntries: (services: [NodeService], checks: [HealthCheck]) {
        var serf = HealthCheck()
        serf.node = config.nodeName
        serf.checkID = "serfHealth"
        serf.name = "Serf Health Status"
        serf.status = HealthStatus.passing
        serf.output = "Agent alive and reachable"
        var services: [NodeService] = []
        if config.server {
            var consul = NodeService()
            consul.id = "consul"
            consul.service = "consul"
            consul.port = config.ports.server
            consul.meta = ["raft_version": "3", "serf_protocol_current": "2", "serf_protocol_max": "5",
                           "serf_protocol_min": "1", "version": ConsulVersion.version, "non_voter": "false", "read_replica": "false"]
            services.append(consul)
        }
        return (services, [serf])
    }

    public func localServices() -> [NodeService] { Array(local.services.values) }
    public func localChecks() -> [HealthCheck] { Array(local.checks.values) }

    public func registerService(_ definition: JSONValue, replaceExistingChecks: Bool) -> HTTPResponseError? {
        registerServiceDefinition(definition, replaceExistingChecks: replaceExistingChecks)
    }

    public func deregisterService(id: String) -> HTTPResponseError? {
        guard local.services[id] != nil else { return nil } // unknown IDs are a no-op, as documented
        local.removeService(id)
        return nil
    }

    public func registerCheck(_ definition: JSONValue) -> HTTPResponseError? { registerCheckDefinition(definition) }

    public func deregisterCheck(id: String) -> HTTPResponseError? {
        local.removeCheck(id)
        return nil
    }

    public func updateTTLCheck(id: String, status: String, output: String) -> HTTPResponseError? {
        guard let runner = local.runner(for: id), runner.heartbeat(status: status, output: output) else {
            return HTTPResponseError(500, "CheckID \"\(id)\" does not have associated TTL")
        }
        return nil
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

    public func reload() -> HTTPResponseError? {
        reloadConfiguration()
        return nil
    }

    public func leave() {
        logger.info("Graceful leave requested through the API")
        environment.clock.schedule(after: 0) { [weak self] in self?.onLeave() }
    }
}
