import Config
import Gossip
import DNS
import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Metrics
import Platform
import Raft
import Wire
import Server

/// A running Consul agent: configuration, state backend, gossip, checks, and the HTTP and DNS
/// listeners. Loop-confined.
public final class Agent: AgentView {
    public let config: AgentConfig
    public let logger: Logger
    public let nodeID: String
    /// Consul's metrics for this agent (docs/metrics.md), served at `/v1/agent/metrics`.
    public let metrics: MetricsRegistry
    var metricsTimer: TimerHandle?
    var agentMetrics: AgentMetrics!
    /// statsd / DogStatsD over UDP (`telemetry.statsd_address`, `dogstatsd_addr`).
    var metricsSinks: MetricsSinks!
    let environment: AgentEnvironment
    let backend: ConsulBackend
    /// The server this agent runs (`-server`, `-dev`); nil on a client agent.
    public let server: ConsulServer?
    /// The RPC client a client agent forwards through (a server uses its own).
    private let clientRPC: ServerRPC?
    var stopping = false
    /// WAN flood joins under way, by the server's WAN name.
    var wanFloodJoinsInFlight: Set<String> = []
    var api: ConsulHTTPAPI!
    private var httpServer: HTTPServer!
    public let local = LocalState()
    var checkFactory: CheckFactory!
    private var antiEntropy: AntiEntropy!
    private var reaper: CriticalServiceReaper!
    private var coordinateSync: CoordinateSync!
    var dnsListener: DNSListener?
    /// Answers DNS from this agent's replica (servers); clients ask a server (Agent+DNS).
    var dnsResponder: ConsulDNSResponder!
    var dnsRecursor: DNSRecursor!
    /// The LAN gossip pool (nil when `ports.serf_lan` is below 1).
    var lanPool: GossipPool?
    /// The WAN gossip pool (servers only).
    var wanPool: GossipPool?
    /// Set once the graceful gossip leave finished (the API's leave, then shutdown, ask twice).
    var gossipLeft = false
    /// The serf snapshot as last written (nothing is rewritten while it stays the same).
    var lastSerfSnapshot: SerfSnapshot?
    /// Called when the agent cannot go on (retry-join exhausted); the composition root exits 1.
    public var onFatal: (String) -> Void = { _ in }
    /// Called when the agent decides to stop itself (`consul leave`, `/v1/agent/leave`).
    public var onLeave: () -> Void = {}
    /// Re-reads flags and config files (set by the composition root; SIGHUP, `consul reload`).
    /// Reads the configuration again (the composition root does it off the loop thread — disk
    /// reads never block the loop) and completes on the loop.
    public var reloadConfig: ((@escaping (Result<AgentConfig, Error>) -> Void) -> Void)?
    /// Definitions from config files by service/check ID, to tell on reload what changed.
    /// `node_meta` as last (re)loaded: a reload changes it, as Consul's does.
    var nodeMeta: [String: String] = [:]
    var configServices: [String: JSONValue] = [:]
    var configChecks: [String: JSONValue] = [:]
    /// User events this agent received (`/v1/event/list`).
    let eventLog = UserEventLog()

    /// Throws when the server's Raft state cannot be recovered (corrupt log or snapshot).
    public init(config: AgentConfig, nodeID: String, environment: AgentEnvironment) throws {
        self.config = config
        self.nodeID = nodeID
        self.environment = environment
        logger = Logger(name: "agent", level: LogLevel(name: config.logLevel) ?? .info, json: config.logging.json,
                        sink: environment.logSink, clock: environment.clock)
        metrics = Agent.makeMetrics(config, environment)
        agentMetrics = AgentMetrics(metrics, nodeName: config.nodeName)
        nodeMeta = config.nodeMeta
        metricsSinks = MetricsSinks(config.telemetry, registry: metrics, hostInfix: metrics.gaugeInfix,
                                    environment: environment, logger: logger.named("telemetry"))
        if config.server {
            var host = ServerHost(clock: environment.clock, network: environment.network, random: environment.random)
            host.metrics = metrics
            host.raftStorage = environment.raftStorage
            host.snapshotStore = environment.snapshotStore
            host.archiver = environment.snapshotArchiver
            host.peersJSON = environment.peersJSON
            host.removePeersJSON = environment.removePeersJSON
            let server = try ConsulServer(config: config, nodeID: nodeID, host: host, log: logger.named("server"))
            self.server = server
            clientRPC = nil
            backend = server.backend
        } else {
            server = nil
            let rpc = ServerRPC(network: environment.network, clock: environment.clock)
            clientRPC = rpc
            let client = ClientBackend(rpc: rpc, clock: environment.clock, random: environment.random)
            client.onRPC = { [counter = agentMetrics.clientRPC] in counter.increment() }
            backend = client
        }
        var apiConfig = APIConfig()
        apiConfig.kvMaxValueSize = config.kvMaxValueSize
        apiConfig.txnMaxRequestBytes = config.txnMaxReqLen
        apiConfig.defaultQueryTimeNanoseconds = config.defaultQueryTimeNanoseconds
        apiConfig.maxQueryTimeNanoseconds = config.maxQueryTimeNanoseconds
        apiConfig.prettyByDefault = config.devMode
        apiConfig.uiEnabled = config.servesUI
        apiConfig.uiFiles = environment.uiFiles
        apiConfig.uiContentPath = config.uiContentPath
        apiConfig.sessionTTLMinNanoseconds = Int64(config.sessionTTLMinNanoseconds)
        apiConfig.responseHeaders = config.httpResponseHeaders.sorted { $0.key < $1.key }
        apiConfig.allowWriteFrom = config.allowWriteHTTPFrom.compactMap { IPNetwork($0.filter { $0 != " " }) }
        apiConfig.prometheusRetentionNanoseconds = config.telemetry.prometheusRetentionNanoseconds
        checkFactory = makeCheckFactory()
        api = ConsulHTTPAPI(backend: backend, agent: self, clock: environment.clock, random: environment.random,
                            config: apiConfig, local: self, operatorAgent: server, metrics: metrics)
        api.processFacts = environment.processFacts
        api.registerEventRoutes(self)
        antiEntropy = AntiEntropy(local: local, backend: backend, clock: environment.clock, random: environment.random,
                                  logger: logger.named("anti_entropy"), nodeRecord: { [unowned self] in self.nodeRecord },
                                  builtIn: { [unowned self] in self.builtInCatalogEntries })
        local.onChange = { [weak self] in self?.antiEntropy.trigger() }
        local.now = { [clock = environment.clock] in clock.now.nanoseconds }
        reaper = CriticalServiceReaper(local: local, clock: environment.clock, logger: logger) { [weak self] id in
            self?.deregisterService(id: id) { [weak self] error in
                if let error { self?.logger.warn("deregistering critical service failed", [("service", id), ("error", error.reason)]) }
            }
        }
        coordinateSync = CoordinateSync(backend: backend, clock: environment.clock, random: environment.random,
                                        logger: logger.named("coordinate")) { [unowned self] in self.localCoordinate }
        var httpSettings = HTTPServer.Settings()
        httpSettings.maxConnectionsPerClient = config.httpMaxConnsPerClient
        httpServer = HTTPServer(network: environment.network, clock: environment.clock, settings: httpSettings) { [unowned self] request, responder in
            self.dispatchHTTP(request, responder)
        }
        api.remoteDispatch = { [unowned self] request, responder in self.dispatchHTTP(request, responder) }
        lanPool = Agent.makeLANPool(config: config, tags: serfTags, environment: environment, logger: logger)
        wanPool = Agent.makeWANPool(config: config, tags: serfTags, environment: environment, logger: logger)
        server?.connect(lanMembers: { [unowned self] in self.lanPool?.serf.members ?? [] },
                        dispatchHTTP: { [unowned self] request, responder in self.dispatchHTTP(request, responder) },
                        answerDNS: { [unowned self] body, reply in self.handleDNSRPC(body, reply: reply) })
    }

    /// Binds every listener; throws with the address that failed.
    public func start() throws {
        for warning in config.warnings { logger.warn(warning) }
        for key in config.ignoredKeys {
            logger.warn("config key is accepted but not implemented yet; ignored", [("key", key)])
        }
        try server?.start()
        try startDNS()
        if config.ports.http > 0 {
            for host in config.effectiveHTTPAddrs {
                warnIfOpenToWrites(host)
                try httpServer.listen(on: SocketAddress(host: host, port: config.ports.http))
                // Port 0 asks the kernel for a free port; the log names the one actually bound.
                let bound = httpServer.listenAddresses.last!
                logger.info("Started HTTP server", [("address", bound.description), ("network", "tcp")])
            }
        }
        try startGossip()
        try startWAN()
        applyConfigDefinitions(services: config.services, checks: config.checks)
        restorePersistedDefinitions()
        antiEntropy.start()
        reaper.start()
        startMetrics()
        metricsSinks.start()
        if lanPool != nil { coordinateSync.start() }
        logger.info("Consul agent running!")
    }

    /// This build has no ACLs: an HTTP API others can reach takes writes from all of them unless
    /// `allow_write_http_from` narrows it. Said loudly at start, never silently.
    private func warnIfOpenToWrites(_ host: String) {
        let loopback = host.hasPrefix("127.") || host == "::1" || host == "localhost"
        guard !loopback, config.allowWriteHTTPFrom.isEmpty else { return }
        logger.warn("The HTTP API listens on a non-loopback address with no access control: this build has no ACLs, so anyone who can reach it can write. Set http_config.allow_write_http_from to the networks allowed to write.",
                    [("address", host)])
    }

    /// Addresses the HTTP API actually listens on (port 0 resolves to the kernel's choice).
    public var httpAddresses: [SocketAddress] { httpServer.listenAddresses }

    public func shutdown() {
        logger.info("Requesting shutdown")
        stopping = true
        metricsTimer?.cancel()
        metricsSinks.stop()
        clientRPC?.stop()
        server?.stop()
        httpServer.shutdown()
        dnsListener?.close()
        lanPool?.stop()
        wanPool?.stop()
        antiEntropy.stop()
        reaper.stop()
        coordinateSync.stop()
        local.stopAll()
        environment.raftStorage?.close()
        logger.info("shutdown complete")
    }

    /// SIGHUP: configuration reload arrives with services and checks; nothing reloadable yet.
    /// SIGHUP and `consul reload`: re-reads configuration (services and checks from files).
    public func reloadConfiguration(completion: @escaping (Error?) -> Void = { _ in }) {
        logger.info("Reloading configuration...")
        guard let reloadConfig else { return completion(nil) }
        reloadConfig { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let fresh):
                // As Consul: a reload re-reads log_level (the other logging settings stay).
                if let level = LogLevel(name: fresh.logLevel), level != self.logger.level {
                    self.logger.level = level
                    self.logger.info("Log level updated", [("level", fresh.logLevel)])
                }
                if fresh.nodeMeta != self.nodeMeta {
                    self.nodeMeta = fresh.nodeMeta
                    self.antiEntropy.trigger()
                }
                let problems = self.applyConfigDefinitions(services: fresh.services, checks: fresh.checks)
                if problems.isEmpty { return completion(nil) }
                // Consul refuses the reload with the reason; the valid definitions are applied.
                let error = ReloadError(message: problems.joined(separator: "; "))
                self.logger.error("Failed to reload configs", [("error", error.message)])
                completion(error)
            case .failure(let error):
                self.logger.error("Failed to reload configs", [("error", "\(error)")])
                completion(error)
            }
        }
    }

    // MARK: AgentView

    public var nodeName: String { config.nodeName }
    public var datacenter: String { config.datacenter }
    public var isServer: Bool { config.server }
    public var leaderAddress: String { server?.leaderAddress ?? "" }
    public var raftPeers: [String] { server?.raftPeers ?? [] }

    private func makeCheckFactory() -> CheckFactory {
        let checkLogger = logger.named("checks")
        var env = CheckEnvironment(clock: environment.clock, random: environment.random, network: environment.network,
                                   datagrams: environment.datagrams, resolver: environment.resolver,
                                   processes: environment.processes, enableScriptChecks: config.enableScriptChecks,
                                   outputMaxSize: config.checkOutputMaxSize,
                                   aliasSource: { [store = backend.store, node = config.nodeName] target, onChange in
                                       CatalogAliasSubscription(store: store, target: target, defaultNode: node, onChange: onChange)
                                   },
                                   log: { level, message, fields in checkLogger.log(level, message, fields) })
        env.tls = environment.tls
        return AgentCheckFactory(environment: env)
    }

    public var localMember: MemberInfo {
        let tags = serfTags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let status = lanPool?.serf.localMember.status.rawValue ?? 1
        return MemberInfo(name: config.nodeName, address: config.effectiveAdvertiseAddr, port: config.ports.serfLan,
                          tags: tags, status: status)
    }

    public var lanMembers: [MemberInfo] { gossipMembers }

    public var debugConfig: [(String, String)] {
        [("Datacenter", config.datacenter), ("NodeName", config.nodeName), ("NodeID", nodeID),
         ("DataDir", config.dataDir), ("DevMode", String(config.devMode)), ("ServerMode", String(config.server)),
         ("BindAddr", config.bindAddr), ("ClientAddrs", config.clientAddrs.joined(separator: " ")),
         ("LogLevel", config.logLevel)]
    }
}

