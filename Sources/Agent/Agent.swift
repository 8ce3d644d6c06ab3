import Config
import Gossip
import DNS
import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Platform
import Raft
import Server

/// Definitions a reload could not apply, named with their reasons.
struct ReloadError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What the agent needs from the outside world; the composition root supplies live
/// implementations (libuv), tests may supply others.
public struct AgentEnvironment {
    public var clock: EventLoopClock
    public var network: StreamNetwork
    public var random: RandomSource
    public var logSink: LogSink
    /// What health checks use: UDP, name resolution off the loop, child processes.
    public var datagrams: DatagramNetwork
    public var resolver: Resolver
    public var processes: ProcessRunner
    /// API-registered services and checks kept under the data directory (nil in -dev).
    public var serviceRecords: RecordStore?
    public var checkRecords: RecordStore?
    /// Last TTL status/output per check with its expiry (`checks/state`), restored at start-up.
    public var checkStateRecords: RecordStore?
    /// `<data-dir>/serf`: the LAN pool's member snapshot (`local.snapshot`), for rejoining at start.
    public var serfRecords: RecordStore?
    /// Durable Raft log and snapshots for a server with a data directory; nil = in memory (-dev).
    public var raftStorage: RaftStorage?
    public var snapshotStore: SnapshotStore?
    /// TLS client for HTTPS and TCP-with-TLS checks (nil: they report critical, unsupported).
    public var tls: TLSClient?
    /// `raft/peers.json` when the operator left one, and how to delete it once applied.
    public var peersJSON: [UInt8]?
    public var removePeersJSON: () -> Void = {}

    public init(clock: EventLoopClock, network: StreamNetwork, random: RandomSource, logSink: LogSink,
                datagrams: DatagramNetwork, resolver: Resolver, processes: ProcessRunner,
                raftStorage: RaftStorage? = nil, snapshotStore: SnapshotStore? = nil) {
        self.clock = clock
        self.network = network
        self.random = random
        self.logSink = logSink
        self.datagrams = datagrams
        self.resolver = resolver
        self.processes = processes
        self.raftStorage = raftStorage
        self.snapshotStore = snapshotStore
    }
}

/// A running Consul agent: configuration, state backend, gossip, checks, and the HTTP and DNS
/// listeners. Loop-confined.
public final class Agent: AgentView {
    public let config: AgentConfig
    public let logger: Logger
    public let nodeID: String
    let environment: AgentEnvironment
    let backend: ConsulBackend
    let raftNode: RaftNode?
    /// The server port (servers only, not -dev).
    let rpc: ServerRPC?
    /// Raft server ID (node ID) → RPC address, from gossip tags (and ourselves).
    var serverAddresses: [String: SocketAddress] = [:]
    /// When each non-voter was added (autopilot promotes after a stable period).
    var nonVoterSince: [String: Instant] = [:]
    /// Servers in the Raft configuration that gossip reports failed, and since when.
    var failedServersSince: [String: Instant] = [:]
    var stopping = false
    /// A `raft/peers.json` recovery to make durable before Raft starts.
    var peersRecovery: RaftNodeRecovery.PeersRecovery?
    var recoveredPeerAddresses: [(id: String, address: SocketAddress)] = []
    /// Leader duty state: whether we led at the last session sweep, and destroys in flight.
    var sessionSweepWasLeader = false
    var sessionDestroysInFlight: Set<String> = []
    /// A reconcile pass is queued for the next loop turn (member events coalesce into it).
    var reconcileScheduled = false
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
    var configServices: [String: JSONValue] = [:]
    var configChecks: [String: JSONValue] = [:]
    let operatorState = OperatorState()
    /// User events this agent received (`/v1/event/list`).
    let eventLog = UserEventLog()

    /// Throws when the server's Raft state cannot be recovered (corrupt log or snapshot).
    public init(config: AgentConfig, nodeID: String, environment: AgentEnvironment) throws {
        self.config = config
        self.nodeID = nodeID
        self.environment = environment
        logger = Logger(name: "agent", level: LogLevel(name: config.logLevel) ?? .info,
                        sink: environment.logSink, clock: environment.clock)
        if config.server {
            // -dev listens on the server port too (as Consul does), so client agents can join it;
            // its single voter never sends Raft traffic.
            let serverRPC = ServerRPC(network: environment.network, clock: environment.clock)
            rpc = serverRPC
            let transport: RaftTransport = serverRPC
            let peers = try environment.peersJSON.map { bytes in try PeersFile.parse(bytes) }
            let (node, recovery) = try Agent.makeRaftNode(config: config, nodeID: nodeID, environment: environment,
                                                          transport: transport, peers: peers?.configuration)
            raftNode = node
            peersRecovery = recovery
            recoveredPeerAddresses = peers?.addresses ?? []
            let clock = environment.clock
            node.store.monotonicNow = { clock.now.nanoseconds }
            let raftBackend = RaftBackend(node: node, clock: environment.clock)
            raftBackend.rpc = rpc
            backend = raftBackend
        } else {
            raftNode = nil
            let clientRPC = ServerRPC(network: environment.network, clock: environment.clock)
            rpc = clientRPC
            backend = ClientBackend(rpc: clientRPC, clock: environment.clock, random: environment.random)
        }
        var apiConfig = APIConfig()
        apiConfig.kvMaxValueSize = config.kvMaxValueSize
        apiConfig.defaultQueryTimeNanoseconds = config.defaultQueryTimeNanoseconds
        apiConfig.maxQueryTimeNanoseconds = config.maxQueryTimeNanoseconds
        apiConfig.prettyByDefault = config.devMode
        apiConfig.uiEnabled = false // the web UI arrives with its own issue; `/` says so meanwhile
        checkFactory = makeCheckFactory()
        api = ConsulHTTPAPI(backend: backend, agent: self, clock: environment.clock, random: environment.random,
                            config: apiConfig, local: self, operatorAgent: self)
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
        httpServer = HTTPServer(network: environment.network, clock: environment.clock) { [unowned self] request, responder in
            self.dispatchHTTP(request, responder)
        }
        api.remoteDispatch = { [unowned self] request, responder in self.dispatchHTTP(request, responder) }
        lanPool = Agent.makeLANPool(config: config, tags: serfTags, environment: environment, logger: logger)
        wanPool = Agent.makeWANPool(config: config, tags: serfTags, environment: environment, logger: logger)
        rpc?.resolve = { [unowned self] id in self.serverAddresses[id] }
        (backend as? RaftBackend)?.leaderAddress = { [unowned self] in self.leaderRPCAddress }
    }

    /// The DNS responder's settings from the agent's `domain`, `recursors` and `dns_config`.
    static func dnsConfig(_ c: AgentConfig) -> DNSConfig {
        var d = DNSConfig()
        d.domain = c.domain
        d.altDomain = c.altDomain
        d.nodeTTL = c.dns.nodeTTLSeconds
        d.serviceTTL = c.dns.serviceTTLSeconds
        d.onlyPassing = c.dns.onlyPassing
        d.udpAnswerLimit = c.dns.udpAnswerLimit
        d.aRecordLimit = c.dns.aRecordLimit
        d.enableTruncate = c.dns.enableTruncate
        d.disableCompression = c.dns.disableCompression
        d.recursorsConfigured = !c.recursors.isEmpty
        return d
    }

    /// Binds every listener; throws with the address that failed.
    public func start() throws {
        for warning in config.warnings { logger.warn(warning) }
        for key in config.ignoredKeys {
            logger.warn("config key is accepted but not implemented yet; ignored", [("key", key)])
        }
        if let raftNode {
            let raftLogger = logger.named("server.raft")
            raftNode.onSoftState = { [weak self] soft in
                raftLogger.info("state change", [("role", soft.role.rawValue), ("term", String(soft.term)),
                                                 ("leader", soft.leader ?? "")])
                // A new leader reconciles gossip into the catalog at once (Consul's establishLeadership).
                if soft.role == .leader { self?.triggerReconcile() }
            }
            raftNode.onFatal = { [logger] message in logger.error("raft failed; shutting down", [("error", message)]) }
            raftNode.onApplyError = { [logger] index, reason in
                logger.error("committed command does not decode; skipped", [("index", String(index)), ("error", reason)])
            }
            raftLogger.info("starting", [("storage", config.devMode ? "memory" : config.dataDir + "/raft"),
                                         ("first_index", String(raftNode.raft.firstIndex)),
                                         ("last_index", String(raftNode.raft.lastIndex))])
            scheduleServerMaintenance()
            if let recovery = peersRecovery {
                try startAfterPeersRecovery(recovery)
            } else {
                raftNode.start()
                try startServerRPC()
                scheduleSessionSweep()
            }
        }
        try startDNS()
        if config.ports.http > 0 {
            for host in config.clientAddrs {
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
        if lanPool != nil { coordinateSync.start() }
        logger.info("Consul agent running!")
    }

    /// Addresses the HTTP API actually listens on (port 0 resolves to the kernel's choice).
    public var httpAddresses: [SocketAddress] { httpServer.listenAddresses }

    public func shutdown() {
        logger.info("Requesting shutdown")
        stopping = true
        rpc?.stop()
        httpServer.shutdown()
        dnsListener?.close()
        lanPool?.stop()
        wanPool?.stop()
        antiEntropy.stop()
        reaper.stop()
        coordinateSync.stop()
        local.stopAll()
        raftNode?.stop()
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
    public var leaderAddress: String {
        guard let raft = raftNode?.raft, let leader = raft.leader else { return "" }
        if leader == nodeID { return serverAddress }
        return serverAddresses[leader]?.description ?? ""
    }

    public var raftPeers: [String] {
        guard let raft = raftNode?.raft else { return [] }
        return raft.configuration.voters.sorted().map { id in
            id == nodeID ? serverAddress : (serverAddresses[id]?.description ?? id)
        }
    }

    private func makeCheckFactory() -> CheckFactory {
        let checkLogger = logger.named("checks")
        var env = CheckEnvironment(clock: environment.clock, random: environment.random, network: environment.network,
                                   datagrams: environment.datagrams, resolver: environment.resolver,
                                   processes: environment.processes, enableScriptChecks: config.enableScriptChecks,
                                   aliasSource: { [store = backend.store, node = config.nodeName] target, onChange in
                                       CatalogAliasSubscription(store: store, target: target, defaultNode: node, onChange: onChange)
                                   },
                                   log: { level, message, fields in checkLogger.log(level, message, fields) })
        env.tls = environment.tls
        return AgentCheckFactory(environment: env)
    }

    /// Raft for a server: Consul's dev timings in -dev (in-memory log), raft_multiplier 5 otherwise.
    private static func makeRaftNode(config: AgentConfig, nodeID: String, environment: AgentEnvironment,
                                     transport: RaftTransport, peers: Configuration?) throws -> (RaftNode, RaftNodeRecovery.PeersRecovery?) {
        let tickMilliseconds = config.devMode ? 5 : 10
        var raftConfig = RaftConfig.consul(id: nodeID, raftMultiplier: config.devMode ? 1 : 5, tickMilliseconds: tickMilliseconds)
        if config.devMode {
            // agent.md §7.1 dev timings: heartbeat 35 ms, election 52 ms, lease 20 ms.
            raftConfig.electionTicks = 10
            raftConfig.heartbeatTicks = 1
            raftConfig.leaseTicks = 4
        }
        raftConfig.seed = environment.random.nextUInt64()
        let storage = environment.raftStorage ?? MemoryRaftStorage()
        let snapshots = environment.snapshotStore ?? MemorySnapshotStore()
        let bootstrap = config.bootstrap ? Configuration(voters: [nodeID]) : nil
        let (raft, store, recovery) = try RaftNodeRecovery.recover(config: raftConfig, storage: storage, snapshots: snapshots,
                                                                    bootstrap: bootstrap, peers: peers)
        let node = RaftNode(raft: raft, store: store, storage: storage, transport: transport,
                            clock: environment.clock, tickNanoseconds: UInt64(tickMilliseconds) * 1_000_000)
        node.snapshotStore = snapshots
        return (node, recovery)
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

