import ConsulAPI

/// Prepared queries (http-api.md §10.2): stored definitions, looked up by ID, by name, or by
/// the longest `name_prefix_match` template whose name prefixes the requested one.
extension StateStore {
    func applyQuery(_ command: Command, at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        switch command {
        case let .querySet(proposed, create):
            var q = proposed
            if let existing = queries.byID[q.id] {
                guard !create else { return .failure("Prepared query ID \"\(q.id)\" is not unique") }
                q.createIndex = existing.createIndex
            } else {
                guard create else { return .failure("Cannot modify non-existent prepared query: '\(q.id)'") }
                q.createIndex = index
            }
            if let reason = queryValidationFailure(q) { return .failure(reason) }
            q.modifyIndex = index
            queries.put(q)
        case .queryDelete(let id):
            guard queries.remove(id) != nil else { return .failure("Cannot delete non-existent prepared query: '\(id)'") }
        default:
            return .failure("not a prepared query command")
        }
        queries.index = index
        catalogGeneration &+= 1
        woken += watches.fire(.preparedQueries)
        return .bool(true)
    }

    /// The state-dependent rules (names unique, sessions real); shape rules are the endpoint's.
    private func queryValidationFailure(_ q: PreparedQuery) -> String? {
        if !q.session.isEmpty && sessions.byID[q.session] == nil { return "invalid session \(goQuoted(q.session))" }
        guard !q.name.isEmpty || q.isTemplate else { return nil }
        if queries.byID[q.name] != nil { return "name \(goQuoted(q.name)) aliases an existing query ID" }
        for other in queries.byID.values where other.id != q.id && other.name == q.name {
            if other.isTemplate && q.isTemplate { return "a prepared query template already exists with name \(goQuoted(q.name))" }
            if !other.isTemplate && !q.isTemplate { return "name \(goQuoted(q.name)) aliases an existing query name" }
        }
        return nil
    }

    /// Queries bound to an invalidated session go with it.
    func deleteQueries(boundTo session: String, at index: UInt64, woken: inout [() -> Void]) {
        let bound = queries.byID.values.filter { $0.session == session }.map(\.id)
        guard !bound.isEmpty else { return }
        for id in bound { queries.remove(id) }
        queries.index = index
        catalogGeneration &+= 1
        woken += watches.fire(.preparedQueries)
    }

    // MARK: Reads

    public var allPreparedQueries: [PreparedQuery] { queries.all }
    public func preparedQuery(_ id: String) -> PreparedQuery? { queries.byID[id] }
    public var preparedQueriesIndex: UInt64 { max(queries.index, 1) }

    /// The query `idOrName` means, with a template rendered for that name; nil when none matches.
    public func resolvePreparedQuery(_ idOrName: String) -> PreparedQuery? {
        if let q = queries.byID[idOrName] { return q }
        if let q = queries.named(idOrName) { return q }
        let template = queries.byID.values
            .filter { $0.isTemplate && idOrName.hasPrefix($0.name) }
            .max { ($0.name.count, $1.id) < ($1.name.count, $0.id) }
        return template.map { QueryTemplate.render($0, for: idOrName) }
    }
}

extension StateStore {
    /// The instances a (resolved) query returns here, before ordering.
    public func executePreparedQuery(_ q: PreparedQuery) -> (rows: [ServiceHealth], index: UInt64) {
        let (rows, index) = serviceHealth(q.service)
        return (PreparedQueryFilter.apply(q, to: rows), index)
    }
}

/// A query's rules over `health/service` rows — local ones, or a failover datacenter's.
public enum PreparedQueryFilter {
    /// Keeps instances with the query's tags (`!tag` excludes), node-meta and service-meta, and
    /// drops unhealthy ones: any critical check (bar `IgnoreCheckIDs`), or with `OnlyPassing`
    /// any non-passing one.
    public static func apply(_ q: PreparedQuery, to rows: [ServiceHealth]) -> [ServiceHealth] {
        let required = q.tags.filter { !$0.hasPrefix("!") }.map { $0.lowercased() }
        let excluded = q.tags.filter { $0.hasPrefix("!") }.map { $0.dropFirst().lowercased() }
        let ignored = Set(q.ignoreCheckIDs)
        return rows.filter { row in
            let tags = Set(row.service.tags.map { $0.lowercased() })
            guard required.allSatisfy(tags.contains), !excluded.contains(where: tags.contains) else { return false }
            guard q.nodeMeta.allSatisfy({ row.node.meta[$0.key] == $0.value }),
                  q.serviceMeta.allSatisfy({ row.service.meta[$0.key] == $0.value }) else { return false }
            for check in row.checks where !ignored.contains(check.checkID) {
                if check.status == HealthStatus.critical || check.status == HealthStatus.maintenance { return false }
                if q.onlyPassing && check.status != HealthStatus.passing { return false }
            }
            return true
        }
    }
}
