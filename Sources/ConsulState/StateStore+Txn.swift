import ConsulAPI

/// `/v1/txn` (http-api.md §3): every operation is evaluated in order against the state the
/// earlier ones left; if any fails, all of them are undone and every failure is reported.
extension StateStore {
    func applyTxn(_ ops: [TxnOp], at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        // KV changes are undone from a log of the entries each op touches (copying a large KV
        // table per transaction would dominate); the other tables are small or rarely written
        // by transactions, so a copy-on-write snapshot serves: O(1) now, a copy only if changed.
        var undo: [(key: String, entry: KVPair?, tombstone: UInt64?)] = []
        let savedTableIndex = kvTableIndex
        let saved = (catalog, sessions, queries)
        var run = TxnRun()
        var changes = CatalogChanges()
        for (i, op) in ops.enumerated() {
            if case let .kv(verb, key, _, _, _, _) = op, !TxnOp.readVerbs.contains(verb) {
                let keys = verb == "delete-tree" ? Array(kv.keys(withPrefix: key)) : [key]
                for k in keys { undo.append((k, kv[k], tombstones[k])) }
            }
            evaluate(op, at: index, opIndex: i, into: &run, changes: &changes, woken: &woken)
        }
        if run.errors.isEmpty {
            commitCatalogChanges(changes, at: index, woken: &woken)
            if changes.any && !sessions.byID.isEmpty { invalidateSessions(onNodes: changes.nodes, at: index, woken: &woken) }
        } else {
            for (key, entry, tombstone) in undo.reversed() {
                if let entry { kv.upsert(entry) } else { kv.remove(key) }
                tombstones[key] = tombstone
            }
            kvTableIndex = savedTableIndex
            (catalog, sessions, queries) = saved
            // Watchers already taken off the registry still run: they re-read, find nothing
            // newer and wait again.
        }
        return run.outcome
    }

    /// A transaction of reads only, answered from this replica without a log entry.
    public func readTxn(_ ops: [TxnOp]) -> CommandResult {
        var run = TxnRun()
        var changes = CatalogChanges()
        var woken: [() -> Void] = []
        for (i, op) in ops.enumerated() where op.isRead {
            evaluate(op, at: index, opIndex: i, into: &run, changes: &changes, woken: &woken)
        }
        return run.outcome
    }

    /// The leader's pre-check before proposing a transaction (Consul's `Txn.preCheck`): each
    /// `lock` of a key still inside a lock-delay fails the whole txn, or nil when none does.
    /// Judged on this replica's clock, like `lockDelayed`, never while applying.
    public func lockDelayRefusal(_ ops: [TxnOp]) -> CommandResult? {
        var run = TxnRun()
        for (i, op) in ops.enumerated() {
            if case let .kv("lock", key, _, _, _, _) = op, lockDelayed(key) {
                run.errors.append((i, "failed to lock key \(goQuoted(key)) due to lock delay"))
            }
        }
        return run.errors.isEmpty ? nil : run.outcome
    }

    private func evaluate(_ op: TxnOp, at index: UInt64, opIndex: Int, into run: inout TxnRun,
                          changes: inout CatalogChanges, woken: inout [() -> Void]) {
        let outcome: TxnStep
        switch op {
        case let .kv(verb, key, value, flags, cas, session):
            outcome = kvStep(verb, key: key, value: value, flags: flags, cas: cas, session: session, at: index, woken: &woken)
        case let .node(verb, node): outcome = nodeStep(verb, node, at: index, changes: &changes)
        case let .service(verb, node, service): outcome = serviceStep(verb, node: node, service, at: index, changes: &changes)
        case let .check(verb, check): outcome = checkStep(verb, check, at: index, changes: &changes)
        }
        switch outcome {
        case .none: break
        case .results(let items): run.results += items
        case .error(let what): run.errors.append((opIndex, what))
        }
    }

    // MARK: KV

    private func kvStep(_ verb: String, key: String, value: [UInt8], flags: UInt64, cas: UInt64, session: String,
                        at index: UInt64, woken: inout [() -> Void]) -> TxnStep {
        let quoted = goQuoted(key)
        switch verb {
        case "set":
            setKey(key, value: value, flags: flags, at: index, woken: &woken)
            return .kvEntry(kv[key])
        case "cas":
            let current = kv[key]?.modifyIndex
            guard (cas == 0 && current == nil) || (cas != 0 && current == cas) else {
                return .error("failed to set key \(quoted), index is stale")
            }
            setKey(key, value: value, flags: flags, at: index, woken: &woken)
            return .kvEntry(kv[key])
        case "lock", "unlock":
            let result = applySession(verb == "lock" ? .kvLock(key: key, value: value, flags: flags, session: session)
                                                     : .kvUnlock(key: key, value: value, flags: flags, session: session),
                                      at: index, woken: &woken)
            switch result {
            case .bool(true): return .kvEntry(kv[key])
            case .failure(let reason): return .error("failed to \(verb) key \(quoted): \(reason)")
            default:
                return .error(verb == "lock" ? "failed to lock key \(quoted), lock is already held"
                                             : "failed to unlock key \(quoted), lock isn't held, or is held by another session")
            }
        case "get":
            guard let entry = kv[key] else { return .error("key \(quoted) doesn't exist") }
            return .results([.kv(entry)])
        case "get-tree":
            return .results(kvList(prefix: key).entries.map { .kv($0) })
        case "check-index":
            guard let entry = kv[key] else { return .error("failed to check index, key \(quoted) doesn't exist") }
            guard entry.modifyIndex == cas else {
                return .error("failed index check for key \(quoted), current modify index \(entry.modifyIndex) != \(cas)")
            }
            return .kvEntry(entry)
        case "check-session":
            guard let entry = kv[key] else { return .error("failed to check session, key \(quoted) doesn't exist") }
            guard entry.session == session else {
                return .error("failed session check for key \(quoted), current session \(goQuoted(entry.session)) != \(goQuoted(session))")
            }
            return .kvEntry(entry)
        case "check-not-exists":
            return kv[key] == nil ? .none : .error("key \(quoted) exists")
        case "delete":
            deleteKey(key, at: index, woken: &woken)
            return .none
        case "delete-tree":
            _ = applyKV(.kvDeleteTree(prefix: key), at: index, woken: &woken)
            return .none
        case "delete-cas":
            guard case .bool(true) = applyKV(.kvDeleteCAS(key: key, index: cas), at: index, woken: &woken) else {
                return .error("failed to delete key \(quoted), index is stale")
            }
            return .none
        default:
            return .error("unknown KV verb \(goQuoted(verb))")
        }
    }

    // MARK: Catalog

    private func existingNode(_ n: CatalogNode) -> CatalogNode? {
        if !n.node.isEmpty { return catalog.nodes[n.node] }
        guard !n.id.isEmpty else { return nil }
        return catalog.nodes.values.first { $0.id.lowercased() == n.id.lowercased() }
    }

    private func nodeStep(_ verb: String, _ n: CatalogNode, at index: UInt64, changes: inout CatalogChanges) -> TxnStep {
        let name = n.node.isEmpty ? (existingNode(n)?.node ?? n.id) : n.node
        let quoted = goQuoted(name)
        let existing = existingNode(n)
        switch verb {
        case "set", "cas":
            if verb == "cas" && (n.modifyIndex == 0 ? existing != nil : existing?.modifyIndex != n.modifyIndex) {
                return .error("failed to set node \(quoted), index is stale")
            }
            var r = RegisterRequest()
            r.node = n
            r.node.node = name
            if case .failure(let reason) = register(r, at: index, changes: &changes) { return .error(reason) }
            return .results([.node(catalog.nodes[name]!)])
        case "get":
            guard let existing else { return .error("node \(quoted) doesn't exist") }
            return .results([.node(existing)])
        case "delete", "delete-cas":
            if verb == "delete-cas" && (existing == nil || existing!.modifyIndex != n.modifyIndex) {
                return .error("failed to delete node \(quoted), index is stale")
            }
            _ = deregister(DeregisterRequest(node: name), at: index, changes: &changes)
            return .none
        default:
            return .error("unknown Node verb \(goQuoted(verb))")
        }
    }

    private func serviceStep(_ verb: String, node: String, _ s: NodeService, at index: UInt64,
                             changes: inout CatalogChanges) -> TxnStep {
        let id = s.id.isEmpty ? s.service : s.id
        let what = "service \(goQuoted(id)) on node \(goQuoted(node))"
        let existing = catalog.services[node]?[id]
        switch verb {
        case "set", "cas":
            if verb == "cas" && (s.modifyIndex == 0 ? existing != nil : existing?.modifyIndex != s.modifyIndex) {
                return .error("failed to set \(what), index is stale")
            }
            guard catalog.nodes[node] != nil else { return .error("failed to set \(what): node \(goQuoted(node)) doesn't exist") }
            var r = RegisterRequest()
            r.node.node = node
            r.skipNodeUpdate = true
            r.service = s
            if case .failure(let reason) = register(r, at: index, changes: &changes) { return .error(reason) }
            return .results([.service(catalog.services[node]![id]!)])
        case "get":
            guard let existing else { return .error("\(what) doesn't exist") }
            return .results([.service(existing)])
        case "delete", "delete-cas":
            if verb == "delete-cas" && (existing == nil || existing!.modifyIndex != s.modifyIndex) {
                return .error("failed to delete \(what), index is stale")
            }
            _ = deregister(DeregisterRequest(node: node, serviceID: id), at: index, changes: &changes)
            return .none
        default:
            return .error("unknown Service verb \(goQuoted(verb))")
        }
    }

    private func checkStep(_ verb: String, _ c: HealthCheck, at index: UInt64, changes: inout CatalogChanges) -> TxnStep {
        let id = c.checkID.isEmpty ? c.name : c.checkID
        let what = "check \(goQuoted(id)) on node \(goQuoted(c.node))"
        let existing = catalog.checks[c.node]?[id]
        switch verb {
        case "set", "cas":
            if verb == "cas" && (c.modifyIndex == 0 ? existing != nil : existing?.modifyIndex != c.modifyIndex) {
                return .error("failed to set \(what), index is stale")
            }
            guard catalog.nodes[c.node] != nil else { return .error("failed to set \(what): node \(goQuoted(c.node)) doesn't exist") }
            var r = RegisterRequest()
            r.node.node = c.node
            r.skipNodeUpdate = true
            r.checks = [c]
            if case .failure(let reason) = register(r, at: index, changes: &changes) { return .error(reason) }
            return .results([.check(catalog.checks[c.node]![id]!)])
        case "get":
            guard let existing else { return .error("\(what) doesn't exist") }
            return .results([.check(existing)])
        case "delete", "delete-cas":
            if verb == "delete-cas" && (existing == nil || existing!.modifyIndex != c.modifyIndex) {
                return .error("failed to delete \(what), index is stale")
            }
            _ = deregister(DeregisterRequest(node: c.node, checkID: id), at: index, changes: &changes)
            return .none
        default:
            return .error("unknown Check verb \(goQuoted(verb))")
        }
    }
}

/// One element of `Results`.
enum TxnResultItem {
    case kv(KVPair)
    case node(CatalogNode)
    case service(NodeService)
    case check(HealthCheck)
}

enum TxnStep {
    case none
    case results([TxnResultItem])
    case error(String)

    /// Write verbs answer the entry without its value.
    static func kvEntry(_ entry: KVPair?) -> TxnStep {
        guard var entry else { return .none }
        entry.value = []
        return .results([.kv(entry)])
    }
}

/// Results and failures so far, rendered as Consul's `{"Results":…,"Errors":…}`.
struct TxnRun {
    var results: [TxnResultItem] = []
    var errors: [(Int, String)] = []

    var outcome: CommandResult {
        var json = JSONWriter(reserve: 64 + 160 * results.count)
        json.beginObject()
        json.key("Results")
        if errors.isEmpty && !results.isEmpty {
            json.beginArray()
            for item in results {
                json.beginObject()
                switch item {
                case .kv(let e): json.key("KV"); e.write(to: &json)
                case .node(let n): json.key("Node"); n.write(to: &json)
                case .service(let s): json.key("Service"); s.write(to: &json)
                case .check(let c): json.key("Check"); c.write(to: &json)
                }
                json.endObject()
            }
            json.endArray()
        } else {
            json.null()
        }
        json.key("Errors")
        if errors.isEmpty {
            json.null()
        } else {
            json.beginArray()
            for (opIndex, what) in errors {
                json.beginObject()
                json.field("OpIndex", opIndex)
                json.field("What", what)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
        return .json(ok: errors.isEmpty, body: json.bytes)
    }
}

