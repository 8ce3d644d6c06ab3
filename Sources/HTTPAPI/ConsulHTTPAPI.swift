import ConsulAPI
import ConsulState
import HTTP1
import Metrics
import Platform

/// The `/v1` API: routes, the shared read/write plumbing, and the endpoints of this slice.
/// Loop-confined; handlers answer through their `Responder`, possibly later.
public final class ConsulHTTPAPI {
    public let router = Router()
    public let config: APIConfig
    let backend: ConsulBackend
    let agent: AgentView
    let clock: EventLoopClock
    let random: RandomSource

    let local: LocalAgent?
    /// The Raft/autopilot operator surface; nil where no server answers (API unit tests).
    let operatorAgent: OperatorAgent?
    /// Sends a request through the agent's own dispatch (so `?dc=` reaches another datacenter);
    /// prepared-query failover uses it. Nil in API unit tests.
    public var remoteDispatch: ((HTTPRequest, Responder) -> Void)?
    /// The agent's metrics (`/v1/agent/metrics`, and `consul.api.http` for every request).
    let metrics: MetricsRegistry?
    /// The process's own readings for Prometheus' `process_*` series (LiveRuntime's /proc reader).
    public var processFacts: (() -> ProcessFacts)?

    public init(backend: ConsulBackend, agent: AgentView, clock: EventLoopClock, random: RandomSource, config: APIConfig,
                local: LocalAgent? = nil, operatorAgent: OperatorAgent? = nil, metrics: MetricsRegistry? = nil) {
        self.metrics = metrics
        self.backend = backend
        self.agent = agent
        self.local = local
        self.operatorAgent = operatorAgent
        self.clock = clock
        self.random = random
        self.config = config
        router.commonHeaders = [("X-Consul-Default-Acl-Policy", "allow")] + config.responseHeaders
        if !config.allowWriteFrom.isEmpty {
            let allowed = config.allowWriteFrom
            router.writeAllowed = { request in allowed.contains { $0.contains(request.remoteAddress) } }
        }
        if let metrics { router.timing = RequestTiming(metrics: metrics, clock: clock) }
        registerRoutes()
    }

    public func handle(_ request: HTTPRequest, _ responder: Responder) {
        router.dispatch(request, responder)
    }

    private func registerRoutes() {
        let kv = KVEndpoint(api: self)
        router.add("/v1/kv/", methods: ["GET", "PUT", "DELETE"]) { kv.handle($0, $1) }
        let status = StatusEndpoint(api: self)
        router.add("/v1/status/leader", methods: ["GET"]) { status.leader($0, $1) }
        router.add("/v1/status/peers", methods: ["GET"]) { status.peers($0, $1) }
        let agentEndpoint = AgentEndpoint(api: self)
        router.add("/v1/agent/self", methods: ["GET"]) { agentEndpoint.selfInfo($0, $1) }
        router.add("/v1/agent/members", methods: ["GET"]) { agentEndpoint.members($0, $1) }
        router.add("/v1/acl/", methods: ["GET", "PUT", "POST", "DELETE"]) { _, r in r.respond(.text(401, "ACL support disabled")) }
        if let local { registerLocalAgentRoutes(AgentLocalEndpoint(api: self, local: local)) }
        if let local {
            let host = HostEndpoint(api: self, local: local)
            router.add("/v1/agent/host", methods: ["GET"]) { host.host($0, $1) }
            router.add("/v1/agent/version", methods: ["GET"]) { host.version($0, $1) }
        }
        if let local {
            let keyring = OperatorKeyringEndpoint(api: self, local: local)
            router.add("/v1/operator/keyring", methods: ["GET", "POST", "PUT", "DELETE"]) { keyring.handle($0, $1) }
        }
        let catalog = CatalogEndpoint(api: self)
        router.add("/v1/catalog/register", methods: ["PUT"]) { catalog.register($0, $1) }
        router.add("/v1/catalog/deregister", methods: ["PUT"]) { catalog.deregister($0, $1) }
        router.add("/v1/catalog/datacenters", methods: ["GET"]) { catalog.datacenters($0, $1) }
        let coordinates = CoordinateEndpoint(api: self)
        router.add("/v1/coordinate/nodes", methods: ["GET"]) { coordinates.nodes($0, $1) }
        router.add("/v1/coordinate/node/", methods: ["GET"]) { coordinates.node($0, $1) }
        router.add("/v1/coordinate/datacenters", methods: ["GET"]) { coordinates.datacenters($0, $1) }
        router.add("/v1/coordinate/update", methods: ["PUT"]) { coordinates.update($0, $1) }
        router.add("/v1/catalog/nodes", methods: ["GET"]) { catalog.nodes($0, $1) }
        router.add("/v1/catalog/services", methods: ["GET"]) { catalog.services($0, $1) }
        router.add("/v1/catalog/service/", methods: ["GET"]) { catalog.service($0, $1, connect: false) }
        router.add("/v1/catalog/connect/", methods: ["GET"]) { catalog.service($0, $1, connect: true) }
        router.add("/v1/catalog/node/", methods: ["GET"]) { catalog.node($0, $1) }
        router.add("/v1/catalog/node-services/", methods: ["GET"]) { catalog.nodeServices($0, $1) }
        let gateways = GatewayEndpoint(api: self)
        router.add("/v1/catalog/gateway-services/", methods: ["GET"]) { gateways.gatewayServices($0, $1) }
        router.add("/v1/health/ingress/", methods: ["GET"]) { gateways.ingressHealth($0, $1) }
        let usage = UsageEndpoint(api: self)
        router.add("/v1/operator/usage", methods: ["GET"]) { usage.usage($0, $1) }
        let operatorEndpoint = OperatorEndpoint(api: self, server: operatorAgent)
        router.add("/v1/operator/raft/configuration", methods: ["GET"]) { operatorEndpoint.raftConfiguration($0, $1) }
        router.add("/v1/operator/raft/peer", methods: ["DELETE"]) { operatorEndpoint.removePeer($0, $1) }
        router.add("/v1/operator/raft/transfer-leader", methods: ["POST"]) { operatorEndpoint.transferLeader($0, $1) }
        router.add("/v1/operator/autopilot/configuration", methods: ["GET", "PUT"]) { operatorEndpoint.autopilotConfiguration($0, $1) }
        router.add("/v1/operator/autopilot/health", methods: ["GET"]) { operatorEndpoint.autopilotHealth($0, $1) }
        router.add("/v1/operator/autopilot/state", methods: ["GET"]) { operatorEndpoint.autopilotState($0, $1) }
        let snapshots = SnapshotEndpoint(api: self, server: operatorAgent)
        router.add("/v1/snapshot", methods: ["GET", "PUT"]) { snapshots.handle($0, $1) }
        let health = HealthEndpoint(api: self)
        router.add("/v1/health/node/", methods: ["GET"]) { health.node($0, $1) }
        router.add("/v1/health/checks/", methods: ["GET"]) { health.checks($0, $1) }
        router.add("/v1/health/service/", methods: ["GET"]) { health.service($0, $1, connect: false) }
        router.add("/v1/health/connect/", methods: ["GET"]) { health.service($0, $1, connect: true) }
        router.add("/v1/health/state/", methods: ["GET"]) { health.state($0, $1) }
        let sessions = SessionEndpoint(api: self)
        router.add("/v1/session/create", methods: ["PUT"]) { sessions.create($0, $1) }
        router.add("/v1/session/destroy/", methods: ["PUT"]) { sessions.destroy($0, $1) }
        router.add("/v1/session/renew/", methods: ["PUT"]) { sessions.renew($0, $1) }
        router.add("/v1/session/info/", methods: ["GET"]) { sessions.info($0, $1) }
        router.add("/v1/session/node/", methods: ["GET"]) { sessions.node($0, $1) }
        router.add("/v1/session/list", methods: ["GET"]) { sessions.all($0, $1) }
        let queries = PreparedQueryEndpoint(api: self)
        router.add("/v1/query", methods: ["GET", "POST"]) { queries.general($0, $1) }
        router.add("/v1/query/", methods: ["GET", "PUT", "DELETE"]) { queries.specific($0, $1) }
        let txn = TxnEndpoint(api: self)
        router.add("/v1/txn", methods: ["PUT"]) { txn.handle($0, $1) }
        if let metrics {
            let metricsEndpoint = MetricsEndpoint(api: self, registry: metrics)
            router.add("/v1/agent/metrics", methods: ["GET"]) { metricsEndpoint.metrics($0, $1) }
            router.add("/v1/agent/metrics/stream", methods: ["GET"]) { metricsEndpoint.stream($0, $1) }
        }
        let uiData = UIDataEndpoint(api: self)
        router.add("/v1/internal/ui/services", methods: ["GET"]) { uiData.services($0, $1) }
        router.add("/v1/internal/ui/nodes", methods: ["GET"]) { uiData.nodes($0, $1) }
        router.add("/v1/internal/ui/node/", methods: ["GET"]) { uiData.node($0, $1) }
        let ui = config.uiEnabled ? UIEndpoint(contentPath: config.uiContentPath, datacenter: agent.datacenter, files: config.uiFiles) : nil
        router.fallback = { request, responder in
            if let ui, ui.owns(request.path) { return ui.serve(request, responder) }
            if ui != nil, request.path == "/robots.txt" {
                // As Consul: crawlers stay out of an agent's UI.
                return responder.respond(.text(200, "User-agent: *\nDisallow: /\n"))
            }
            guard request.path == "/" else { return responder.respond(.text(404, "404 page not found\n")) }
            if let ui {
                var headers = HTTPHeaders()
                headers.add("Location", ui.contentPath)
                responder.respond(HTTPResponse(status: 301, headers: headers))
            } else {
                responder.respond(.text(200, "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart."))
            }
        }
    }

    private func registerLocalAgentRoutes(_ e: AgentLocalEndpoint) {
        router.add("/v1/agent/services", methods: ["GET"]) { e.services($0, $1) }
        router.add("/v1/agent/service/", methods: ["GET"]) { e.service($0, $1) }
        router.add("/v1/agent/service/register", methods: ["PUT"]) { e.registerService($0, $1) }
        router.add("/v1/agent/service/deregister/", methods: ["PUT"]) { e.deregisterService($0, $1) }
        router.add("/v1/agent/service/maintenance/", methods: ["PUT"]) { e.serviceMaintenance($0, $1) }
        router.add("/v1/agent/checks", methods: ["GET"]) { e.checks($0, $1) }
        router.add("/v1/agent/check/register", methods: ["PUT"]) { e.registerCheck($0, $1) }
        router.add("/v1/agent/check/deregister/", methods: ["PUT"]) { e.deregisterCheck($0, $1) }
        // Old clients sent GET to the TTL endpoints; accepting it too is harmless.
        router.add("/v1/agent/check/pass/", methods: ["PUT", "GET"]) { e.ttl($0, $1, status: "passing", prefix: "/v1/agent/check/pass/") }
        router.add("/v1/agent/check/warn/", methods: ["PUT", "GET"]) { e.ttl($0, $1, status: "warning", prefix: "/v1/agent/check/warn/") }
        router.add("/v1/agent/check/fail/", methods: ["PUT", "GET"]) { e.ttl($0, $1, status: "critical", prefix: "/v1/agent/check/fail/") }
        router.add("/v1/agent/check/update/", methods: ["PUT"]) { e.update($0, $1) }
        router.add("/v1/agent/health/service/id/", methods: ["GET"]) { e.health($0, $1, byName: false) }
        router.add("/v1/agent/health/service/name/", methods: ["GET"]) { e.health($0, $1, byName: true) }
        router.add("/v1/agent/maintenance", methods: ["PUT"]) { e.nodeMaintenance($0, $1) }
        router.add("/v1/agent/reload", methods: ["PUT"]) { e.reload($0, $1) }
        router.add("/v1/agent/monitor", methods: ["GET"]) { e.monitor($0, $1) }
        router.add("/v1/agent/leave", methods: ["PUT"]) { e.leave($0, $1) }
        router.add("/v1/agent/join/", methods: ["PUT"]) { e.join($0, $1) }
        router.add("/v1/agent/force-leave/", methods: ["PUT"]) { e.forceLeave($0, $1) }
    }

    // MARK: Plumbing shared by endpoints

    /// Only the local datacenter exists until WAN federation lands.
    func checkDatacenter(_ options: QueryOptions) -> HTTPResponse? {
        guard !options.datacenter.isEmpty, options.datacenter != agent.datacenter else { return nil }
        return .text(500, "No path to datacenter")
    }

    /// Runs `query` once the backend is ready for this consistency mode, blocking if asked to.
    func read(_ options: QueryOptions, _ responder: Responder,
              _ query: @escaping (StateStore, QueryMeta) -> QueryResult) {
        backend.prepareRead(options.consistency) { [self] outcome in
            switch outcome {
            case .failure(let error):
                responder.respond(.text(500, error.message))
            case .success(let meta):
                let timeout = blockingTimeout(requested: options.waitNanoseconds, config: config, random: random)
                let store = backend.store
                BlockingQuery.start(store: store, clock: clock, minIndex: options.minIndex, timeoutNanoseconds: timeout,
                                    responder: responder) { query(store, meta) }
            }
        }
    }

    /// Applies a command and answers with its boolean result (KV writes' `true`/`false`).
    func write(_ command: Command, options: QueryOptions, _ responder: Responder) {
        backend.apply(command) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.bool(let ok)): responder.respond(.jsonBool(ok, pretty: options.pretty))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success(.json(let ok, let body)): responder.respond(.jsonDocument(body, status: ok ? 200 : 409, pretty: options.pretty))
            }
        }
    }

    /// Applies a command that creates something the proposer named, and answers `{"ID": id}`
    /// (sessions, prepared queries); refusals are 500s.
    func create(_ command: Command, id: String, options: QueryOptions, _ responder: Responder) {
        backend.apply(command) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success:
                var json = JSONWriter(pretty: options.pretty, reserve: 64)
                json.beginObject()
                json.field("ID", id)
                json.endObject()
                responder.respond(.json(&json))
            }
        }
    }

    /// Applies a command whose answer is the literal `true` (catalog writes); refusals are 500s.
    func writeTrue(_ command: Command, _ responder: Responder) {
        backend.apply(command) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success(.bool), .success(.json): responder.respond(.jsonBool(true, pretty: self.config.prettyByDefault))
            }
        }
    }

    /// A JSON request body, or Consul's `400 Request decode failed: …`.
    func jsonBody(_ request: HTTPRequest, _ responder: Responder) -> JSONValue? {
        do { return try JSONParser.parse(request.body) } catch {
            responder.respond(.text(400, "Request decode failed: \(error)"))
            return nil
        }
    }

    func parseOptions(_ request: HTTPRequest, _ responder: Responder) -> QueryOptions? {
        switch QueryOptions.parse(request, prettyByDefault: config.prettyByDefault) {
        case .success(let o): return o
        case .failure(let e): responder.respond(e.response); return nil
        }
    }
}
