import ConsulAPI

/// The catalog: nodes, their services and checks, with the indexes blocking queries report.
/// A node's deregistration cascades to its services and checks; a service's to its checks.
struct CatalogTables {
    var nodes: [String: CatalogNode] = [:]
    /// node → service ID → instance
    var services: [String: [String: NodeService]] = [:]
    /// node → check ID → check
    var checks: [String: [String: HealthCheck]] = [:]
    var nodesIndex: UInt64 = 0
    var servicesIndex: UInt64 = 0
    var checksIndex: UInt64 = 0
    /// Last index at which anything a `health/service/<name>` answer depends on changed.
    var serviceIndex: [String: UInt64] = [:]
    var nodeIndex: [String: UInt64] = [:]

    /// service name → node → service IDs: reads of one service never scan the whole catalog.
    private(set) var instancesByName: [String: [String: Set<String>]] = [:]

    /// After a restore replicated at `index`: every record reads as written at `index` (created
    /// no later), and every index a read reports is `index`.
    mutating func restamp(at index: UInt64) {
        (nodesIndex, servicesIndex, checksIndex) = (index, index, index)
        for key in serviceIndex.keys { serviceIndex[key] = index }
        for key in nodeIndex.keys { nodeIndex[key] = index }
        for name in nodes.keys {
            nodes[name]!.createIndex = min(nodes[name]!.createIndex, index)
            nodes[name]!.modifyIndex = index
        }
        for node in services.keys {
            for id in services[node]!.keys {
                services[node]![id]!.createIndex = min(services[node]![id]!.createIndex, index)
                services[node]![id]!.modifyIndex = index
            }
        }
        for node in checks.keys {
            for id in checks[node]!.keys {
                checks[node]![id]!.createIndex = min(checks[node]![id]!.createIndex, index)
                checks[node]![id]!.modifyIndex = index
            }
        }
    }

    /// Service names hosted on a node (their health depends on the node's checks).
    func serviceNames(on node: String) -> Set<String> {
        Set((services[node] ?? [:]).values.map(\.service))
    }

    mutating func putService(_ s: NodeService, on node: String) {
        if let old = services[node]?[s.id], old.service != s.service { unindex(old, on: node) }
        services[node, default: [:]][s.id] = s
        instancesByName[s.service, default: [:]][node, default: []].insert(s.id)
    }

    mutating func removeService(_ id: String, on node: String) -> NodeService? {
        guard let s = services[node]?.removeValue(forKey: id) else { return nil }
        unindex(s, on: node)
        return s
    }

    mutating func removeServices(on node: String) -> [NodeService] {
        let removed = Array((services.removeValue(forKey: node) ?? [:]).values)
        for s in removed { unindex(s, on: node) }
        return removed
    }

    mutating func rebuildIndex() {
        instancesByName = [:]
        for (node, byID) in services {
            for s in byID.values { instancesByName[s.service, default: [:]][node, default: []].insert(s.id) }
        }
    }

    private mutating func unindex(_ s: NodeService, on node: String) {
        instancesByName[s.service]?[node]?.remove(s.id)
        if instancesByName[s.service]?[node]?.isEmpty == true { instancesByName[s.service]?[node] = nil }
        if instancesByName[s.service]?.isEmpty == true { instancesByName[s.service] = nil }
    }
}

extension StateStore {
    func applyCatalog(_ command: Command, at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        var touched = CatalogChanges()
        let result: CommandResult
        switch command {
        case .catalogRegister(let request): result = register(request, at: index, changes: &touched)
        case .catalogDeregister(let request): result = deregister(request, at: index, changes: &touched)
        default: return .failure("not a catalog command")
        }
        commitCatalogChanges(touched, at: index, woken: &woken)
        if !sessions.byID.isEmpty { invalidateSessions(onNodes: touched.nodes, at: index, woken: &woken) }
        return result
    }

    func register(_ r: RegisterRequest, at index: UInt64, changes: inout CatalogChanges) -> CommandResult {
        let name = r.node.node
        guard !name.isEmpty else { return .failure("Must provide node") }
        if !r.skipNodeUpdate && r.node.address.isEmpty { return .failure("Must provide address if SkipNodeUpdate is not set") }
        if let s = r.service {
            if s.service.isEmpty { return .failure("Must provide service name (Service.Service) when service ID is provided") }
            if s.address == "0.0.0.0" || s.address == "::" || s.address == "[::]" { return .failure("Invalid service address") }
        }
        for c in r.checks where !c.node.isEmpty && c.node != name {
            return .failure("Node '\(c.node)' for check '\(c.checkID)' doesn't match register request node '\(name)'")
        }
        for c in r.checks where !c.serviceID.isEmpty {
            let known = (r.service.map { ($0.id.isEmpty ? $0.service : $0.id) == c.serviceID } ?? false)
                || catalog.services[name]?[c.serviceID] != nil
            if !known { return .failure("Unknown service ID '\(c.serviceID)' for check ID '\(c.checkID.isEmpty ? c.name : c.checkID)'") }
        }
        if !r.skipNodeUpdate || catalog.nodes[name] == nil {
            var node = r.node
            if node.datacenter.isEmpty { node.datacenter = catalog.nodes[name]?.datacenter ?? "" }
            if let existing = catalog.nodes[name] {
                if !existing.sameContent(as: node) || (r.skipNodeUpdate && false) {
                    node.createIndex = existing.createIndex
                    node.modifyIndex = index
                    catalog.nodes[name] = node
                    changes.node(name)
                }
            } else {
                node.createIndex = index
                node.modifyIndex = index
                catalog.nodes[name] = node
                changes.node(name)
                changes.nodeList = true
            }
        }
        if var s = r.service {
            if s.id.isEmpty { s.id = s.service }
            let existing = catalog.services[name]?[s.id]
            if existing == nil || !existing!.sameContent(as: s) {
                s.createIndex = existing?.createIndex ?? index
                s.modifyIndex = index
                catalog.putService(s, on: name)
                changes.service(s.service, on: name)
                if let old = existing, old.service != s.service { changes.service(old.service, on: name) }
                // A service's checks carry its name and tags.
                for (id, var c) in catalog.checks[name] ?? [:] where c.serviceID == s.id {
                    c.serviceName = s.service
                    c.serviceTags = s.tags
                    c.modifyIndex = index
                    catalog.checks[name]![id] = c
                    changes.checks = true
                }
            }
        }
        for var c in r.checks {
            if c.checkID.isEmpty { c.checkID = c.name }
            c.node = name
            if c.status.isEmpty { c.status = HealthStatus.critical }
            if !c.serviceID.isEmpty, let s = catalog.services[name]?[c.serviceID] {
                c.serviceName = s.service
                c.serviceTags = s.tags
            } else {
                c.serviceName = ""
                c.serviceTags = []
            }
            let existing = catalog.checks[name]?[c.checkID]
            if existing == nil || !existing!.sameContent(as: c) {
                c.createIndex = existing?.createIndex ?? index
                c.modifyIndex = index
                catalog.checks[name, default: [:]][c.checkID] = c
                changes.check(c, on: name)
                if let old = existing, old.serviceID != c.serviceID { changes.check(old, on: name) }
            }
        }
        return .bool(true)
    }

    func deregister(_ r: DeregisterRequest, at index: UInt64, changes: inout CatalogChanges) -> CommandResult {
        let name = r.node
        guard !name.isEmpty else { return .failure("Must provide node") }
        if !r.serviceID.isEmpty {
            guard let s = catalog.removeService(r.serviceID, on: name) else { return .bool(true) }
            changes.service(s.service, on: name)
            for (id, c) in catalog.checks[name] ?? [:] where c.serviceID == r.serviceID {
                catalog.checks[name]![id] = nil
                changes.check(c, on: name)
            }
        } else if !r.checkID.isEmpty {
            guard let c = catalog.checks[name]?.removeValue(forKey: r.checkID) else { return .bool(true) }
            changes.check(c, on: name)
        } else {
            guard catalog.nodes.removeValue(forKey: name) != nil else { return .bool(true) }
            changes.node(name)
            changes.nodeList = true
            for s in catalog.removeServices(on: name) { changes.service(s.service, on: name) }
            for c in (catalog.checks.removeValue(forKey: name) ?? [:]).values { changes.check(c, on: name) }
        }
        return .bool(true)
    }

    /// Stamps indexes and wakes exactly the watchers of what changed.
    func commitCatalogChanges(_ c: CatalogChanges, at index: UInt64, woken: inout [() -> Void]) {
        guard c.any else { return }
        catalogGeneration &+= 1
        var serviceNames = c.serviceNames
        for node in c.nodes {
            catalog.nodeIndex[node] = index
            woken += watches.fire(.node(node))
            if catalog.nodes[node] == nil { removeCoordinate(of: node, at: index, woken: &woken) }
            // Node records and node-level checks are part of every hosted service's health.
            if c.nodeLevel.contains(node) { serviceNames.formUnion(catalog.serviceNames(on: node)) }
        }
        if c.nodeList || !c.nodeLevel.isEmpty { catalog.nodesIndex = index; woken += watches.fire(.catalogNodes) }
        // The service list (catalog/services) changes with registrations, not with check flaps.
        if c.serviceList { catalog.servicesIndex = index; woken += watches.fire(.catalogServices) }
        if c.checks { catalog.checksIndex = index; woken += watches.fire(.checks) }
        for name in serviceNames {
            catalog.serviceIndex[name] = index
            woken += watches.fire(.service(name))
        }
    }
}

/// What one catalog command touched, so the right indexes move and the right watchers wake.
struct CatalogChanges {
    var nodes: Set<String> = []
    /// Nodes whose own record or node-level checks changed.
    var nodeLevel: Set<String> = []
    var serviceNames: Set<String> = []
    var nodeList = false
    /// A service instance was registered, changed or removed (not just its health).
    var serviceList = false
    var checks = false

    var any: Bool { !nodes.isEmpty || !serviceNames.isEmpty || nodeList || checks }

    mutating func node(_ n: String) { nodes.insert(n); nodeLevel.insert(n) }
    mutating func service(_ name: String, on n: String) { nodes.insert(n); serviceNames.insert(name); serviceList = true }
    mutating func check(_ c: HealthCheck, on n: String) {
        nodes.insert(n)
        checks = true
        if c.serviceID.isEmpty { nodeLevel.insert(n) } else { serviceNames.insert(c.serviceName) }
    }
}
