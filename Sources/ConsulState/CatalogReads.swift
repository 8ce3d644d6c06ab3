import ConsulAPI

/// One `health/service` row.
public struct ServiceHealth: Sendable {
    public var node: CatalogNode
    public var service: NodeService
    public var checks: [HealthCheck]
    public init(node: CatalogNode, service: NodeService, checks: [HealthCheck]) {
        self.node = node
        self.service = service
        self.checks = checks
    }
}

/// Catalog and health queries, each returning the index a blocking query on it reports and
/// the scope it should watch.
extension StateStore {
    public func catalogNodes() -> (nodes: [CatalogNode], index: UInt64) {
        (catalog.nodes.values.sorted { $0.node < $1.node }, max(catalog.nodesIndex, 1))
    }

    /// Service name → deduplicated, sorted tags.
    public func catalogServices() -> (services: [String: [String]], index: UInt64) {
        var out: [String: Set<String>] = [:]
        for byID in catalog.services.values {
            for s in byID.values { out[s.service, default: []].formUnion(s.tags) }
        }
        return (out.mapValues { $0.sorted() }, max(catalog.servicesIndex, 1))
    }

    /// Instances of `name` (with every tag in `tags`), ordered by node then service ID.
    public func serviceNodes(_ name: String, tags: [String] = []) -> (rows: [(node: CatalogNode, service: NodeService)], index: UInt64) {
        var rows: [(CatalogNode, NodeService)] = []
        let byNode = catalog.instancesByName[name] ?? [:]
        for nodeName in byNode.keys.sorted() {
            guard let node = catalog.nodes[nodeName], let hosted = catalog.services[nodeName] else { continue }
            for id in byNode[nodeName]!.sorted() {
                guard let s = hosted[id] else { continue }
                if tags.allSatisfy({ tag in s.tags.contains { $0.lowercased() == tag.lowercased() } }) { rows.append((node, s)) }
            }
        }
        return (rows, max(catalog.serviceIndex[name] ?? catalog.servicesIndex, 1))
    }

    public func catalogNode(_ name: String) -> (node: CatalogNode?, services: [NodeService], index: UInt64) {
        let services = (catalog.services[name] ?? [:]).values.sorted { $0.id < $1.id }
        return (catalog.nodes[name], services, max(catalog.nodeIndex[name] ?? catalog.nodesIndex, 1))
    }

    public func nodeChecks(_ name: String) -> (checks: [HealthCheck], index: UInt64) {
        ((catalog.checks[name] ?? [:]).values.sorted { $0.checkID < $1.checkID },
         max(catalog.nodeIndex[name] ?? catalog.checksIndex, 1))
    }

    public func serviceChecks(_ name: String) -> (checks: [HealthCheck], index: UInt64) {
        var out: [HealthCheck] = []
        for node in catalog.checks.keys.sorted() {
            out += catalog.checks[node]!.values.filter { $0.serviceName == name && !$0.serviceID.isEmpty }
                .sorted { $0.checkID < $1.checkID }
        }
        return (out, max(catalog.serviceIndex[name] ?? catalog.checksIndex, 1))
    }

    /// `state` is passing, warning, critical or `any`.
    public func checksInState(_ state: String) -> (checks: [HealthCheck], index: UInt64) {
        var out: [HealthCheck] = []
        for node in catalog.checks.keys.sorted() {
            out += catalog.checks[node]!.values.filter { state == "any" || $0.status == state }.sorted { $0.checkID < $1.checkID }
        }
        return (out, max(catalog.checksIndex, 1))
    }

    /// Instances with their node's checks and their own checks.
    public func serviceHealth(_ name: String, tags: [String] = []) -> (rows: [ServiceHealth], index: UInt64) {
        let (instances, index) = serviceNodes(name, tags: tags)
        return (instances.map { healthRow($0.node, $0.service) }, index)
    }

    private func healthRow(_ node: CatalogNode, _ service: NodeService) -> ServiceHealth {
        let checks = (catalog.checks[node.node] ?? [:]).values
            .filter { $0.serviceID.isEmpty || $0.serviceID == service.id }
            .sorted { ($0.serviceID.isEmpty ? 0 : 1, $0.checkID) < ($1.serviceID.isEmpty ? 0 : 1, $1.checkID) }
        return ServiceHealth(node: node, service: service, checks: checks)
    }

    /// Mesh-capable instances for `name`: its `connect-proxy` services and Connect-native
    /// instances. The index covers any registration or check change (a proxy may be any service).
    public func connectServiceNodes(_ name: String) -> (rows: [(node: CatalogNode, service: NodeService)], index: UInt64) {
        var rows: [(CatalogNode, NodeService)] = []
        for nodeName in catalog.services.keys.sorted() {
            guard let node = catalog.nodes[nodeName] else { continue }
            for s in catalog.services[nodeName]!.values.sorted(by: { $0.id < $1.id }) where s.servesMesh(for: name) {
                rows.append((node, s))
            }
        }
        return (rows, max(catalog.servicesIndex, catalog.checksIndex, catalog.serviceIndex[name] ?? 0, 1))
    }

    public func connectServiceHealth(_ name: String) -> (rows: [ServiceHealth], index: UInt64) {
        let (instances, index) = connectServiceNodes(name)
        return (instances.map { healthRow($0.node, $0.service) }, index)
    }
}

/// What Consul's usage gauges count (`consul.state.*`, `consul.session_ttl.active`).
public struct StateUsage: Equatable, Sendable {
    public var nodes = 0
    /// Distinct service names.
    public var services = 0
    public var serviceInstances = 0
    public var kvEntries = 0
    /// Sessions with a TTL (whose timers the leader runs).
    public var sessionsWithTTL = 0
}

extension StateStore {
    public var usage: StateUsage {
        var u = StateUsage()
        u.nodes = catalog.nodes.count
        u.services = catalog.instancesByName.count
        for (_, instances) in catalog.services { u.serviceInstances += instances.count }
        u.kvEntries = kv.count
        for (_, session) in sessions.byID where session.ttlNanoseconds > 0 { u.sessionsWithTTL += 1 }
        return u
    }
}
