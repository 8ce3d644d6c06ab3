import ConsulAPI
import ConsulState
import HTTP1
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

    public init(backend: ConsulBackend, agent: AgentView, clock: EventLoopClock, random: RandomSource, config: APIConfig) {
        self.backend = backend
        self.agent = agent
        self.clock = clock
        self.random = random
        self.config = config
        router.commonHeaders = [("X-Consul-Default-Acl-Policy", "allow")]
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
        let uiEnabled = config.uiEnabled
        router.fallback = { request, responder in
            guard request.path == "/" else { return responder.respond(HTTPResponse(status: 404)) }
            if uiEnabled {
                var headers = HTTPHeaders()
                headers.add("Location", "/ui/")
                responder.respond(HTTPResponse(status: 301, headers: headers))
            } else {
                responder.respond(.text(200, "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart."))
            }
        }
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
            }
        }
    }

    func parseOptions(_ request: HTTPRequest, _ responder: Responder) -> QueryOptions? {
        switch QueryOptions.parse(request, prettyByDefault: config.prettyByDefault) {
        case .success(let o): return o
        case .failure(let e): responder.respond(e.response); return nil
        }
    }
}
