import ConsulAPI

/// Reads for the DNS responder's hot path: one pass over the instances of one service with no
/// sorting and no per-row copies of check lists (a query is answered in microseconds, and
/// `serviceHealth`'s sorted, fully materialized rows cost more than the rest of the answer).
extension StateStore {
    /// The service's name as registered: `name` itself if registered, else the first registered
    /// name equal to it ignoring ASCII case, else nil.
    public func registeredServiceName(matching name: String) -> String? {
        if catalog.instancesByName[name] != nil { return name }
        let wanted = name.lowercased()
        return catalog.instancesByName.keys.first { $0.lowercased() == wanted }
    }

    /// Calls `body` for every instance of `name` (exact name), in no particular order, with the
    /// statuses of its node-level checks and its own checks. Only the statuses that matter for
    /// health are exact: every non-passing status appears, and "passing" appears once if any check
    /// passes (the common all-passing case shares one array, so it allocates nothing).
    public func forEachServiceInstance(named name: String,
                                       _ body: (CatalogNode, NodeService, [String]) -> Void) {
        guard let byNode = catalog.instancesByName[name] else { return }
        for (nodeName, ids) in byNode {
            guard let node = catalog.nodes[nodeName], let hosted = catalog.services[nodeName] else { continue }
            let checks = catalog.checks[nodeName]
            for id in ids {
                guard let service = hosted[id] else { continue }
                var passing = false
                var other: [String] = []
                if let checks {
                    for check in checks.values where check.serviceID.isEmpty || check.serviceID == id {
                        if check.status == HealthStatus.passing { passing = true } else { other.append(check.status) }
                    }
                }
                if other.isEmpty {
                    body(node, service, passing ? Self.passingStatuses : [])
                } else {
                    if passing { other.append(HealthStatus.passing) }
                    body(node, service, other)
                }
            }
        }
    }

    private static let passingStatuses = [HealthStatus.passing]

    /// A node by exact name, else the first whose name equals it ignoring ASCII case.
    public func catalogNode(matching name: String) -> CatalogNode? {
        if let n = catalog.nodes[name] { return n }
        let wanted = name.lowercased()
        return catalog.nodes.values.first { $0.node.lowercased() == wanted }
    }
}
