import ConsulAPI
import ConsulState
import HTTP1

/// `/v1/health/*`: checks by node, service and state, and service instances with their health.
final class HealthEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/health/node/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing node name")) }
        checkList(request, responder, watched: .node(name)) { $0.nodeChecks(name) }
    }

    func checks(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/health/checks/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing service name")) }
        checkList(request, responder, watched: .service(name)) { $0.serviceChecks(name) }
    }

    func state(_ request: HTTPRequest, _ responder: Responder) {
        let state = String(request.path.dropFirst("/v1/health/state/".count))
        if state.isEmpty { return responder.respond(.text(400, "Missing check state")) }
        // Consul does not validate the state: an unknown one simply matches no check.
        checkList(request, responder, watched: .checks) { $0.checksInState(state) }
    }

    private func checkList(_ request: HTTPRequest, _ responder: Responder, watched: WatchScope,
                           _ query: @escaping (StateStore) -> (checks: [HealthCheck], index: UInt64)) {
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (checks, index) = query(store)
            var json = JSONWriter(pretty: options.pretty, reserve: 400 * checks.count + 2)
            json.beginArray()
            for c in checks where q.matches({ var w = JSONWriter(); c.write(to: &w); return w }) {
                if !q.nodeMeta.isEmpty, !q.nodeMetaMatches(store.catalogNode(c.node).node?.meta ?? [:]) { continue }
                c.write(to: &json)
            }
            json.endArray()
            return self.api.result(&json, index: index, watched: [watched], meta: meta, options: options)
        }
    }

    func service(_ request: HTTPRequest, _ responder: Responder, connect: Bool) {
        let prefix = connect ? "/v1/health/connect/" : "/v1/health/service/"
        let name = String(request.path.dropFirst(prefix.count))
        if name.isEmpty { return responder.respond(.text(400, "Missing service name")) }
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        var passingOnly = false
        if let value = request.query["passing"] {
            if value.isEmpty { passingOnly = true } else {
                guard let b = goParseBool(value) else { return responder.respond(.text(400, "Invalid value for ?passing")) }
                passingOnly = b
            }
        }
        let tags = request.query.values("tag")
        let peered = ConsulHTTPAPI.asksForPeer(request)
        api.read(options, responder) { store, meta in
            let (unsorted, index) = connect ? store.connectServiceHealth(name) : store.serviceHealth(name, tags: tags)
            let rows = peered ? [] : self.api.sortedNear(unsorted, request) { $0.node.node }
            var json = JSONWriter(pretty: options.pretty, reserve: 1024 * rows.count + 2)
            json.beginArray()
            for row in rows {
                // `passing` drops instances with any non-passing check, node checks included.
                if passingOnly && row.checks.contains(where: { $0.status != HealthStatus.passing }) { continue }
                if !q.nodeMetaMatches(row.node.meta) { continue }
                if !q.matches({ var w = JSONWriter(); HealthEndpoint.writeRow(row, &w); return w }) { continue }
                HealthEndpoint.writeRow(row, &json)
            }
            json.endArray()
            let watched: [WatchScope] = connect ? [.service(name), .catalogServices, .checks] : [.service(name)]
            return self.api.result(&json, index: index, watched: watched, meta: meta, options: options)
        }
    }

    static func writeRow(_ row: ServiceHealth, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("Node"); row.node.write(to: &json)
        json.key("Service"); row.service.write(to: &json)
        json.key("Checks")
        json.beginArray()
        for c in row.checks { c.write(to: &json) }
        json.endArray()
        json.endObject()
    }
}

/// Go's strconv.ParseBool.
extension ConsulHTTPAPI {
    /// `?peer=<name>`: results imported from a cluster peer. This build has no peering, so no
    /// instance comes from one: such reads answer an empty list (still blocking on the service).
    static func asksForPeer(_ request: HTTPRequest) -> Bool { !(request.query["peer"] ?? "").isEmpty }
}

func goParseBool(_ s: String) -> Bool? {
    switch s {
    case "1", "t", "T", "TRUE", "true", "True": return true
    case "0", "f", "F", "FALSE", "false", "False": return false
    default: return nil
    }
}
