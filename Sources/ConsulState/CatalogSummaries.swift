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

/// Reads behind the web UI. Each walks the catalog once: one pass over the checks groups them
/// by node and service, so 15,000 instances cost 15,000 steps, not instances × checks per node.
extension StateStore {
    /// The scopes and index of the whole-catalog UI reads: any node, instance or check change.
    public static let uiCatalogScopes: [WatchScope] = [.catalogNodes, .catalogServices, .checks]
    public var uiCatalogIndex: UInt64 { max(catalog.nodesIndex, catalog.servicesIndex, catalog.checksIndex, 1) }

    /// Every service's summary, sorted by name. A service unchanged since the last call (same
    /// service index) is taken from the cache; the others are summarised from the name index
    /// with their nodes' checks grouped once, so a check flip re-summarises one service.
    /// `cached: false` recomputes everything (tests compare both).
    public func serviceSummaries(cached: Bool = true) -> (summaries: [ServiceSummary], index: UInt64) {
        var checksByNode: [String: (nodeLevel: [HealthCheck], byService: [String: [HealthCheck]])] = [:]
        func checks(on node: String) -> (nodeLevel: [HealthCheck], byService: [String: [HealthCheck]]) {
            if let known = checksByNode[node] { return known }
            let grouped = groupedChecks(catalog.checks[node] ?? [:])
            checksByNode[node] = grouped
            return grouped
        }
        var summaries: [ServiceSummary] = []
        summaries.reserveCapacity(catalog.instancesByName.count)
        for name in catalog.instancesByName.keys.sorted() {
            let serviceIndex = catalog.serviceIndex[name] ?? 0
            if cached, let hit = summaryCache[name], hit.index == serviceIndex {
                summaries.append(hit.summary)
                continue
            }
            guard let summary = summarise(name, checks: checks(on:)) else { continue }
            if cached { summaryCache[name] = (serviceIndex, summary) }
            summaries.append(summary)
        }
        // Names gone from the catalog leave the cache once it holds twice what is listed.
        if summaryCache.count > 2 * summaries.count + 64 {
            summaryCache = summaryCache.filter { catalog.instancesByName[$0.key] != nil }
        }
        return (summaries, uiCatalogIndex)
    }

    private func summarise(_ name: String, checks: (String) -> (nodeLevel: [HealthCheck], byService: [String: [HealthCheck]])) -> ServiceSummary? {
        guard let byNode = catalog.instancesByName[name] else { return nil }
        var summary = ServiceSummary(name: name)
        var tags = Set<String>()
        var lastTags: [String]? = nil
        var sources = Set<String>()
        for node in byNode.keys.sorted() {
            guard let hosted = catalog.services[node] else { continue }
            let grouped = checks(node)
            var hostsOne = false
            for id in byNode[node]! {
                guard let s = hosted[id] else { continue }
                hostsOne = true
                summary.instanceCount += 1
                if summary.kind.isEmpty { summary.kind = s.kind }
                if s.connectNative { summary.connectNative = true }
                // Instances of a service mostly share their tags: skip the set when unchanged.
                if s.tags != lastTags { tags.formUnion(s.tags); lastTags = s.tags }
                if !s.meta.isEmpty, let source = s.meta["external-source"], !source.isEmpty { sources.insert(source) }
                for c in grouped.byService[id] ?? [] { summary.count(c.status) }
            }
            guard hostsOne else { continue }
            summary.nodes.append(node)
            // Node-level checks count once per node for each service on it.
            for c in grouped.nodeLevel { summary.count(c.status) }
        }
        guard summary.instanceCount > 0 else { return nil }
        summary.tags = tags.sorted()
        summary.externalSources = sources.sorted()
        return summary
    }

    /// The catalog's change counter: equal values mean equal UI reads (for caching answers).
    public var uiCatalogGeneration: UInt64 { catalogGeneration }

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

    private func groupedChecks(_ checks: [String: HealthCheck]) -> (nodeLevel: [HealthCheck], byService: [String: [HealthCheck]]) {
        var nodeLevel: [HealthCheck] = []
        var byService: [String: [HealthCheck]] = [:]
        for c in checks.values {
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
