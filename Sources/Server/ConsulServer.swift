import Config
import ConsulState
import Gossip
import HTTP1
import HTTPAPI
import Metrics
import Platform
import Raft

/// What a server needs from the agent that hosts it: the loop's clock and sockets, durable
/// storage (nil in -dev), the LAN pool's members, and the agent's own HTTP and DNS answers for
/// requests other agents send over the RPC.
public struct ServerHost {
    public var clock: EventLoopClock
    public var network: StreamNetwork
    public var random: RandomSource
    public var raftStorage: RaftStorage?
    public var snapshotStore: SnapshotStore?
    /// Snapshot archives for `/v1/snapshot` (nil: this server cannot save or restore them).
    public var archiver: SnapshotArchiver?
    /// `raft/peers.json` when the operator left one, and how to delete it once applied.
    public var peersJSON: [UInt8]?
    public var removePeersJSON: () -> Void = {}
    /// The LAN pool's members as gossip sees them now.
    public var lanMembers: () -> [SerfMember] = { [] }
    /// Runs an HTTP request on this agent (a client agent's forwarded request).
    public var dispatchHTTP: (HTTPRequest, Responder) -> Void = { _, responder in responder.respond(.text(500, "no HTTP API")) }
    /// Answers a DNS query another agent sent (`dnsQuery` body, RPC reply).
    /// The agent's metrics registry (nil: the server records none, as in the simulation).
    public var metrics: MetricsRegistry?
    public var answerDNS: ([UInt8], @escaping (RPCResponse) -> Void) -> Void = { _, reply in
        reply(.error(code: .rejected, message: "DNS is not served here"))
    }

    public init(clock: EventLoopClock, network: StreamNetwork, random: RandomSource) {
        self.clock = clock
        self.network = network
        self.random = random
    }
}

/// A Consul server: Raft (`RaftNode`) over the server RPC, the backend the API reads and writes
/// through (`RaftBackend`), the RPC endpoints other agents call, and the leader's duties —
/// adding and promoting servers and removing dead ones (`Leader/Autopilot`), reconciling gossip
/// members into the catalog (`Leader/MemberReconciler`), expiring sessions
/// (`Leader/SessionReaper`) — plus `-bootstrap-expect` and `raft/peers.json` recovery.
/// Loop-confined, like the agent that composes it.
public final class ConsulServer {
    public let config: AgentConfig
    public let nodeID: String
    var host: ServerHost
    let log: any Logging
    public let raftNode: RaftNode
    /// Raft traffic and the requests other agents send; -dev listens too, so clients can join it.
    public let rpc: ServerRPC
    public let backend: RaftBackend
    public let metrics: ServerMetrics?
    /// Raft server ID (node ID) → RPC address, from gossip tags (and ourselves).
    public internal(set) var serverAddresses: [String: SocketAddress] = [:]
    var stopping = false
    /// A `raft/peers.json` recovery to make durable before Raft starts.
    var peersRecovery: RaftNodeRecovery.PeersRecovery?
    var recoveredPeerAddresses: [(id: String, address: SocketAddress)] = []
    /// Leader duty state (see the duties' files).
    var nonVoterSince: [String: Instant] = [:]
    var failedServersSince: [String: Instant] = [:]
    var sessionSweepWasLeader = false
    var sessionDestroysInFlight: Set<String> = []
    var reconcileScheduled = false
    /// When each server's autopilot health last changed (`StableSince`).
    var healthSince: [String: (healthy: Bool, sinceUnixNanos: Int64)] = [:]

    /// Throws when the Raft state cannot be recovered (corrupt log or snapshot, bad peers.json).
    public init(config: AgentConfig, nodeID: String, host: ServerHost, log: any Logging) throws {
        self.config = config
        self.nodeID = nodeID
        self.host = host
        self.log = log
        rpc = ServerRPC(network: host.network, clock: host.clock)
        let peers = try host.peersJSON.map { bytes in try PeersFile.parse(bytes) }
        let (node, recovery) = try ConsulServer.makeRaftNode(config: config, nodeID: nodeID, host: host, transport: rpc,
                                                             peers: peers?.configuration)
        raftNode = node
        peersRecovery = recovery
        recoveredPeerAddresses = peers?.addresses ?? []
        let clock = host.clock
        node.store.monotonicNow = { clock.now.nanoseconds }
        if let archiver = host.archiver {
            node.store.inflateState = { compressed, size in
                archiver.inflate(compressed, size: size).mapError { DecodeError($0.message) }
            }
        }
        backend = RaftBackend(node: node, clock: clock)
        metrics = host.metrics.map { ServerMetrics($0, datacenter: config.datacenter) }
        node.metrics = metrics?.raft
        backend.metrics = metrics
        backend.rpc = rpc
        backend.leaderAddress = { [unowned self] in self.leaderRPCAddress }
        rpc.resolve = { [unowned self] id in self.serverAddresses[id] }
    }

    /// The agent's parts the server calls back into, wired once both exist.
    public func connect(lanMembers: @escaping () -> [SerfMember], dispatchHTTP: @escaping (HTTPRequest, Responder) -> Void,
                        answerDNS: @escaping ([UInt8], @escaping (RPCResponse) -> Void) -> Void) {
        host.lanMembers = lanMembers
        host.dispatchHTTP = dispatchHTTP
        host.answerDNS = answerDNS
    }

    /// Raft for a server: Consul's dev timings in -dev (in-memory log), `performance.raft_multiplier`
    /// (5 by default) otherwise.
    private static func makeRaftNode(config: AgentConfig, nodeID: String, host: ServerHost, transport: RaftTransport,
                                     peers: Configuration?) throws -> (RaftNode, RaftNodeRecovery.PeersRecovery?) {
        let tickMilliseconds = config.devMode ? 5 : 10
        var raftConfig = RaftConfig.consul(id: nodeID, raftMultiplier: config.devMode ? 1 : config.raftMultiplier,
                                           tickMilliseconds: tickMilliseconds)
        if config.devMode {
            // agent.md §7.1 dev timings: heartbeat 35 ms, election 52 ms, lease 20 ms.
            raftConfig.electionTicks = 10
            raftConfig.heartbeatTicks = 1
            raftConfig.leaseTicks = 4
        }
        raftConfig.seed = host.random.nextUInt64()
        let storage = host.raftStorage ?? MemoryRaftStorage()
        let snapshots = host.snapshotStore ?? MemorySnapshotStore()
        let bootstrap = config.bootstrap ? Configuration(voters: [nodeID]) : nil
        let (raft, store, recovery) = try RaftNodeRecovery.recover(config: raftConfig, storage: storage, snapshots: snapshots,
                                                                    bootstrap: bootstrap, peers: peers)
        let node = RaftNode(raft: raft, store: store, storage: storage, transport: transport,
                            clock: host.clock, tickNanoseconds: UInt64(tickMilliseconds) * 1_000_000)
        node.snapshotStore = snapshots
        node.snapshotThreshold = UInt64(config.raftSnapshotThreshold)
        node.trailingEntries = UInt64(config.raftTrailingLogs)
        return (node, recovery)
    }

    /// Starts Raft (after a pending peers.json recovery is durable), the server port and the
    /// leader duties' timers.
    public func start() throws {
        let raftLog = log
        raftNode.onSoftState = { [weak self] soft in
            raftLog.info("raft: state change", [("role", soft.role.rawValue), ("term", String(soft.term)),
                                                 ("leader", soft.leader ?? "")])
            // A new leader reconciles gossip into the catalog at once (Consul's establishLeadership).
            if soft.role == .leader {
                self?.triggerReconcile()
                self?.seedAutopilotSettings()
            }
        }
        raftNode.onFatal = { message in raftLog.error("raft failed; shutting down", [("error", message)]) }
        raftNode.onApplyError = { index, reason in
            raftLog.error("committed command does not decode; skipped", [("index", String(index)), ("error", reason)])
        }
        log.info("raft: starting", [("storage", config.devMode ? "memory" : config.dataDir + "/raft"),
                                    ("first_index", String(raftNode.raft.firstIndex)),
                                    ("last_index", String(raftNode.raft.lastIndex))])
        scheduleServerMaintenance()
        if let recovery = peersRecovery { return try startAfterPeersRecovery(recovery) }
        raftNode.start()
        try startServerRPC()
        scheduleSessionSweep()
    }

    public func stop() {
        stopping = true
        rpc.stop()
        raftNode.stop()
    }

    func startServerRPC() throws {
        let address = SocketAddress(host: config.bindAddr, port: config.ports.server)
        try rpc.listen(on: address)
        rpc.handler = self
        serverAddresses[nodeID] = SocketAddress(host: config.effectiveAdvertiseAddr, port: config.ports.server)
        log.info("server RPC listening", [("address", address.description)])
    }

    /// The server's RPC address as peers dial it.
    public var serverAddress: String { "\(config.effectiveAdvertiseAddr):\(config.ports.server)" }

    /// The leader's RPC address, for forwarding.
    public var leaderRPCAddress: SocketAddress? {
        guard let leader = raftNode.raft.leader else { return nil }
        return serverAddresses[leader]
    }

    /// The leader's address as `/v1/status/leader` shows it ("" when none is known).
    public var leaderAddress: String {
        guard let leader = raftNode.raft.leader else { return "" }
        if leader == nodeID { return serverAddress }
        return serverAddresses[leader]?.description ?? ""
    }

    /// The voters' addresses (`/v1/status/peers`).
    public var raftPeers: [String] {
        raftNode.raft.configuration.voters.sorted().map { id in
            id == nodeID ? serverAddress : (serverAddresses[id]?.description ?? id)
        }
    }

    /// Every second on every server: the address book follows gossip, `-bootstrap-expect` is
    /// checked, and the leader runs its duties.
    func scheduleServerMaintenance() {
        host.clock.schedule(after: 1_000_000_000) { [weak self] in
            guard let self, !self.stopping else { return }
            self.serversChanged()
            if self.raftNode.raft.role == .leader {
                self.autopilotStep()
                self.pruneDeadServers()
                self.reconcileMembers()
            }
            self.scheduleServerMaintenance()
        }
    }

    /// The gossip view changed: keep the Raft address book in step, bootstrap when enough
    /// servers showed up, and let the leader reconcile soon.
    public func membersChanged() {
        serversChanged()
        triggerReconcile()
    }

    func serversChanged() {
        for server in knownServers() { serverAddresses[server.id] = server.address }
        maybeBootstrapExpect()
    }

    /// The servers of our datacenter in the LAN pool.
    func knownServers() -> [GossipServer] {
        GossipServer.servers(in: host.lanMembers(), datacenter: config.datacenter)
    }

    /// Graceful leave of a server: a leader first removes itself from the configuration (the
    /// core hands leadership over), so the rest keep quorum; a follower is removed by the
    /// leader once its gossip leave arrives. Bounded to 5 s.
    public func leaveRaft(completion: @escaping () -> Void) {
        guard !config.devMode, raftNode.raft.configuration.voters.count > 1, raftNode.raft.role == .leader else { return completion() }
        log.info("server leaving: removing ourselves from the Raft configuration")
        _ = raftNode.raft.proposeConfigurationChange(.remove(nodeID))
        raftNode.process()
        let deadline = host.clock.now.adding(nanoseconds: 5_000_000_000)
        let raftNode = self.raftNode, clock = host.clock, nodeID = self.nodeID
        func poll() {
            if !raftNode.raft.configuration.members.contains(nodeID) || clock.now >= deadline { return completion() }
            clock.schedule(after: 50_000_000) { poll() }
        }
        poll()
    }
}

/// A Consul server of a datacenter as gossip shows it: `role=consul` with its node ID and
/// server port in the tags.
public struct GossipServer {
    public var id: String
    public var name: String
    public var address: SocketAddress
    public var tags: [String: String]
    public var status: MemberStatus

    public static func servers(in members: [SerfMember], datacenter: String) -> [GossipServer] {
        members.compactMap { m in
            guard m.tags["role"] == "consul", m.tags["dc"] == datacenter, let id = m.tags["id"], !id.isEmpty,
                  let port = m.tags["port"].flatMap(Int.init) else { return nil }
            return GossipServer(id: id, name: m.name, address: SocketAddress(host: m.address.host, port: port), tags: m.tags,
                                status: m.status)
        }
    }
}
