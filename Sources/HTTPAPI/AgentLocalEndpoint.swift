import ConsulAPI
import HTTP1
import Platform

/// `/v1/agent/service*`, `/v1/agent/check*`, `/v1/agent/health/*`, maintenance, reload, leave.
final class AgentLocalEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let local: LocalAgent
    init(api: ConsulHTTPAPI, local: LocalAgent) {
        self.api = api
        self.local = local
    }

    private var pretty: Bool { api.config.prettyByDefault }

    func services(_ request: HTTPRequest, _ responder: Responder) {
        guard let q = readQuery(request, responder) else { return }
        var json = JSONWriter(pretty: pretty || request.query.has("pretty"))
        json.beginObject()
        for s in local.localServices().sorted(by: { $0.id < $1.id })
        where q.matches({ var w = JSONWriter(); s.write(to: &w, agentView: true, datacenter: api.agent.datacenter); return w }) {
            json.key(s.id)
            s.write(to: &json, agentView: true, datacenter: api.agent.datacenter)
        }
        json.endObject()
        responder.respond(.json(&json))
    }

    /// `GET /v1/agent/service/<id>`, with `ContentHash`; `?hash=<h>[&wait=]` blocks until the
    /// service's hash differs from `h` or the wait (default 5m, max 10m, + ≤1/16 jitter) ends.
    func service(_ request: HTTPRequest, _ responder: Responder) {
        let id = String(request.path.dropFirst("/v1/agent/service/".count))
        let pretty = self.pretty || request.query.has("pretty")
        let dc = api.agent.datacenter
        let render: () -> (HTTPResponse, String?) = { [local] in
            guard let s = local.localServices().first(where: { $0.id == id }) else {
                return (.text(404, "unknown service ID: \(id)"), nil)
            }
            let hash = s.agentContentHash(datacenter: dc)
            var json = JSONWriter(pretty: pretty)
            s.write(to: &json, agentView: true, datacenter: dc, contentHash: hash)
            var headers = HTTPHeaders()
            headers.add("X-Consul-ContentHash", hash)
            return (.json(&json, headers: headers), hash)
        }
        let (first, hash) = render()
        guard let wanted = request.query["hash"], !wanted.isEmpty, let hash, hash == wanted else {
            return responder.respond(first)
        }
        var requested: UInt64 = 0
        if let wait = request.query["wait"], !wait.isEmpty {
            guard let nanos = GoDuration.parse(wait) else { return responder.respond(.text(400, "Invalid wait time")) }
            requested = nanos > 0 ? UInt64(nanos) : 0
        }
        let timeout = blockingTimeout(requested: requested, config: api.config, random: api.random)
        let local = self.local
        SignalledWait(clock: api.clock, responder: responder, heldVersion: Optional(wanted), timeoutNanoseconds: timeout,
                      render: render, subscribe: { local.watchLocalChanges($0) }, unsubscribe: { local.cancelLocalWatch($0) })
    }

    func checks(_ request: HTTPRequest, _ responder: Responder) {
        guard let q = readQuery(request, responder) else { return }
        var json = JSONWriter(pretty: pretty || request.query.has("pretty"))
        json.beginObject()
        for c in local.localChecks().sorted(by: { $0.checkID < $1.checkID })
        where q.matches({ var w = JSONWriter(); c.write(to: &w); return w }) {
            json.key(c.checkID)
            c.write(to: &json)
        }
        json.endObject()
        responder.respond(.json(&json))
    }

    func registerService(_ request: HTTPRequest, _ responder: Responder) {
        guard let body = api.jsonBody(request, responder) else { return }
        // `replace-existing-checks` counts only when empty or exactly "true".
        let replace = request.query["replace-existing-checks"].map { $0.isEmpty || $0 == "true" } ?? false
        local.registerService(body, replaceExistingChecks: replace) { self.answer($0, responder) }
    }

    func deregisterService(_ request: HTTPRequest, _ responder: Responder) {
        let id = String(request.path.dropFirst("/v1/agent/service/deregister/".count))
        if id.isEmpty { return responder.respond(.text(400, "Missing service ID")) }
        local.deregisterService(id: id) { self.answer($0, responder) }
    }

    func registerCheck(_ request: HTTPRequest, _ responder: Responder) {
        guard let body = api.jsonBody(request, responder) else { return }
        local.registerCheck(body) { self.answer($0, responder) }
    }

    func deregisterCheck(_ request: HTTPRequest, _ responder: Responder) {
        let id = String(request.path.dropFirst("/v1/agent/check/deregister/".count))
        if id.isEmpty { return responder.respond(.text(400, "Missing check ID")) }
        local.deregisterCheck(id: id) { self.answer($0, responder) }
    }

    /// `pass`/`warn`/`fail` with `?note=`.
    func ttl(_ request: HTTPRequest, _ responder: Responder, status: String, prefix: String) {
        let id = String(request.path.dropFirst(prefix.count))
        answer(local.updateTTLCheck(id: id, status: status, output: request.query["note"] ?? ""), responder)
    }

    func update(_ request: HTTPRequest, _ responder: Responder) {
        let id = String(request.path.dropFirst("/v1/agent/check/update/".count))
        guard let body = api.jsonBody(request, responder) else { return }
        let f = JSONFields(body)
        let status = (try? f.string("Status")) ?? nil ?? ""
        guard HealthStatus.all.contains(status) else {
            return responder.respond(.text(400, "Invalid check status: '\(status)'"))
        }
        let output = ((try? f.string("Output")) ?? nil) ?? ""
        answer(local.updateTTLCheck(id: id, status: status, output: output), responder)
    }

    func serviceMaintenance(_ request: HTTPRequest, _ responder: Responder) {
        let id = String(request.path.dropFirst("/v1/agent/service/maintenance/".count))
        if id.isEmpty { return responder.respond(.text(400, "Missing service ID")) }
        guard let enable = parseEnable(request, responder) else { return }
        answer(local.setServiceMaintenance(id: id, enable: enable, reason: request.query["reason"] ?? ""), responder)
    }

    func nodeMaintenance(_ request: HTTPRequest, _ responder: Responder) {
        guard let enable = parseEnable(request, responder) else { return }
        local.setNodeMaintenance(enable: enable, reason: request.query["reason"] ?? "")
        responder.respond(HTTPResponse(status: 200))
    }

    func reload(_ request: HTTPRequest, _ responder: Responder) {
        local.reload { [self] error in answer(error, responder) }
    }

    static let monitorBacklogBytes = 1 << 20

    /// `/v1/agent/monitor?loglevel=<level>`: the agent's log as it is written, streamed
    /// (chunked) until the client goes away. `logjson` asks for JSON lines.
    func monitor(_ request: HTTPRequest, _ responder: Responder) {
        let level = request.query["loglevel"].flatMap { $0.isEmpty ? nil : $0 } ?? "INFO"
        let json = request.query.has("logjson")
        let local = self.local
        var head = HTTPResponse(status: 200)
        head.headers.set("Content-Type", "text/plain; charset=utf-8")
        var token: UInt64?
        // A reader that stops reading must not make the agent hold its log: beyond
        // `monitorBacklogBytes` unsent, lines are counted and dropped, and the count is sent
        // once the reader catches up.
        var dropped = 0
        token = local.watchLogs(level: level) { line in
            if responder.backlogBytes() > AgentLocalEndpoint.monitorBacklogBytes {
                dropped += 1
                return
            }
            if dropped > 0 {
                responder.streamChunk(Array("[WARN] monitor: \(dropped) log lines dropped: the reader was too slow\n".utf8))
                dropped = 0
            }
            responder.streamChunk(Array((json ? LogLineJSON.convert(line) : line).utf8) + [10])
        }
        guard let token else { return responder.respond(.text(400, "Unknown log level: \(level)")) }
        guard responder.beginStream(head) else {
            local.cancelLogWatch(token)
            return responder.respond(.text(400, "this request cannot be streamed"))
        }
        responder.onCancel { local.cancelLogWatch(token) }
    }

    func join(_ request: HTTPRequest, _ responder: Responder) {
        let address = String(request.path.dropFirst("/v1/agent/join/".count))
        guard !address.isEmpty else { return responder.respond(.text(400, "Missing address to join")) }
        let wan = !(request.query["wan"] ?? "").isEmpty
        local.join(address: address, wan: wan) { error in self.answer(error, responder) }
    }

    func forceLeave(_ request: HTTPRequest, _ responder: Responder) {
        let node = String(request.path.dropFirst("/v1/agent/force-leave/".count))
        guard !node.isEmpty else { return responder.respond(.text(400, "Missing node name")) }
        answer(local.forceLeave(node: node, prune: request.query.has("prune"), wan: request.query.has("wan")), responder)
    }

    func leave(_ request: HTTPRequest, _ responder: Responder) {
        local.leave { responder.respond(HTTPResponse(status: 200)) }
    }

    /// `/v1/agent/health/service/id/<id>` and `/name/<name>`: 200/429/503 by aggregate status.
    func health(_ request: HTTPRequest, _ responder: Responder, byName: Bool) {
        let prefix = byName ? "/v1/agent/health/service/name/" : "/v1/agent/health/service/id/"
        let key = String(request.path.dropFirst(prefix.count))
        let text = request.query["format"] == "text" || (request.headers["Accept"]?.hasPrefix("text/plain") ?? false)
        if key.isEmpty { return responder.respond(.text(400, byName ? "Missing service Name" : "Missing serviceID")) }
        let services = local.localServices().filter { byName ? $0.service == key : $0.id == key }.sorted { $0.id < $1.id }
        let checks = local.localChecks()
        guard !services.isEmpty else {
            if text { return responder.respond(.text(404, byName ? "ServiceName \(key) Not Found" : "ServiceId \(key) not found")) }
            var json = JSONWriter(pretty: pretty)
            if byName { json.beginArray(); json.endArray() } else {
                json.beginObject(); json.field("AggregatedStatus", "critical"); json.key("Service"); json.null()
                json.key("Checks"); json.null(); json.endObject()
            }
            return responder.respond(.json(&json, status: 404))
        }
        var worst = HealthStatus.passing
        var json = JSONWriter(pretty: pretty)
        if byName { json.beginArray() }
        for s in services {
            let own = checks.filter { $0.serviceID == s.id || $0.serviceID.isEmpty }
            let status = HealthStatus.aggregate(own.map(\.status))
            worst = HealthStatus.aggregate([worst, status])
            json.beginObject()
            json.field("AggregatedStatus", status)
            json.key("Service"); s.write(to: &json, agentView: true, datacenter: api.agent.datacenter)
            json.key("Checks"); json.beginArray(); for c in own { c.write(to: &json) }; json.endArray()
            json.endObject()
        }
        if byName { json.endArray() }
        let code = worst == HealthStatus.passing ? 200 : worst == HealthStatus.warning ? 429 : 503
        var headers = HTTPHeaders()
        headers.add("X-Consul-Reason", worst)
        if text { return responder.respond(.text(code, worst, headers: headers)) }
        responder.respond(.json(&json, status: code, headers: headers))
    }

    private func parseEnable(_ request: HTTPRequest, _ responder: Responder) -> Bool? {
        guard let value = request.query["enable"] else {
            responder.respond(.text(400, "Missing value for enable"))
            return nil
        }
        guard let b = goParseBool(value) else {
            responder.respond(.text(400, "Invalid value for enable: \(goQuoted(value))"))
            return nil
        }
        return b
    }

    private func readQuery(_ request: HTTPRequest, _ responder: Responder) -> ReadQuery? {
        api.readQuery(request, QueryOptions(), responder)
    }

    /// Agent writes answer 200 with an empty body, or the error the agent chose.
    private func answer(_ error: HTTPResponseError?, _ responder: Responder) {
        if let error { responder.respond(error.response) } else { responder.respond(HTTPResponse(status: 200)) }
    }
}
