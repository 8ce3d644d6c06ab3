import ConsulAPI

/// One service as the web UI lists it (Consul's `/v1/internal/ui/services` summary).
public struct ServiceSummary: Equatable, Sendable {
    public var name: String
    public var kind = ""
    /// Every instance's tags, deduplicated, sorted.
    public var tags: [String] = []
    /// Nodes hosting an instance, sorted.
    public var nodes: [String] = []
    /// `external-source` meta values, deduplicated, sorted.
    public var externalSources: [String] = []
    public var instanceCount = 0
    /// Distinct checks (node-level ones counted once per node) by status.
    public var checksPassing = 0
    public var checksWarning = 0
    public var checksCritical = 0
    public var connectNative = false
}

/// One node with its services and checks (Consul's node dump, `/v1/internal/ui/nodes`).
public struct NodeDump: Sendable {
    public var node: CatalogNode
    public var services: [NodeService]
    public var checks: [HealthCheck]
}

/// Reads behind the web UI. Each walks the catalog once: one pass over a node's checks groups
/// them by service, so 15,000 instances cost 15,000 steps, not instances × checks per node.
extension StateStore {
    /// The scopes and index of the whole-catalog UI reads: any node, instance or check change.
    public static let uiCatalogScopes: [WatchScope] = [.catalogNodes, .catalogServices, .checks]
    private var uiCatalogIndex: UInt64 { max(catalog.nodesIndex, catalog.servicesIndex, catalog.checksIndex, 1) }

    public func serviceSummaries() -> (summaries: [ServiceSummary], index: UInt64) {
        var byName: [String: ServiceSummary] = [:]
        var tagSets: [String: Set<String>] = [:]
        var sourceSets: [String: Set<String>] = [:]
        for (nodeName, hosted) in catalog.services {
            let checks = groupedChecks(nodeName)
            var namesHere = Set<String>()
            for s in hosted.values {
                var summary = byName[s.service] ?? ServiceSummary(name: s.service)
                summary.instanceCount += 1
                if summary.kind.isEmpty { summary.kind = s.kind }
                if s.connectNative { summary.connectNative = true }
                if namesHere.insert(s.service).inserted {
                    summary.nodes.append(nodeName)
                    // Node-level checks count once per node for each service on it.
                    for c in checks.nodeLevel { summary.count(c.status) }
                }
                for c in checks.byService[s.id] ?? [] { summary.count(c.status) }
                tagSets[s.service, default: []].formUnion(s.tags)
                if let source = s.meta["external-source"], !source.isEmpty { sourceSets[s.service, default: []].insert(source) }
                byName[s.service] = summary
            }
        }
        let summaries = byName.keys.sorted().map { name -> ServiceSummary in
            var s = byName[name]!
            s.nodes.sort()
            s.tags = (tagSets[name] ?? []).sorted()
            s.externalSources = (sourceSets[name] ?? []).sorted()
            return s
        }
        return (summaries, uiCatalogIndex)
    }

    public func nodeDumps() -> (nodes: [NodeDump], index: UInt64) {
        let dumps = catalog.nodes.keys.sorted().map { nodeDump($0)! }
        return (dumps, uiCatalogIndex)
    }

    /// One node's dump and the index of that node's scope; nil when the node is unknown.
    public func nodeDump(_ name: String) -> NodeDump? {
        guard let node = catalog.nodes[name] else { return nil }
        let services = (catalog.services[name] ?? [:]).values.sorted { $0.id < $1.id }
        let checks = (catalog.checks[name] ?? [:]).values.sorted { $0.checkID < $1.checkID }
        return NodeDump(node: node, services: services, checks: checks)
    }

    public func nodeDumpIndex(_ name: String) -> UInt64 { max(catalog.nodeIndex[name] ?? catalog.nodesIndex, 1) }

    private func groupedChecks(_ node: String) -> (nodeLevel: [HealthCheck], byService: [String: [HealthCheck]]) {
        var nodeLevel: [HealthCheck] = []
        var byService: [String: [HealthCheck]] = [:]
        for c in (catalog.checks[node] ?? [:]).values {
            if c.serviceID.isEmpty { nodeLevel.append(c) } else { byService[c.serviceID, default: []].append(c) }
        }
        return (nodeLevel, byService)
    }
}

extension ServiceSummary {
    mutating func count(_ status: String) {
        switch status {
        case HealthStatus.passing: checksPassing += 1
        case HealthStatus.warning: checksWarning += 1
        default: checksCritical += 1
        }
    }
}
