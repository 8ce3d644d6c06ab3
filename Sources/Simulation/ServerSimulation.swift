import Agent
import Config
import ConsulAPI
import ConsulState
import Gossip
import HTTP1
import HTTPAPI
import Platform
import Raft
import Server
import Wire

/// The production server in the simulated world: N `ConsulServer`s — the same type `consul
/// agent -server` runs — found through a stand-in for gossip, founding the cluster with
/// `-bootstrap-expect`, talking over the server RPC on simulated TCP (`SimStreamNetwork`), each
/// with its own clock and disk. Clients write and read through any server, so forwarding to the
/// leader and ReadIndex reads through followers run as in production.
public final class ServerSimCluster {
    public let world: SimWorld
    public let fabric: SimStreamNetwork
    public let names: [String]
    public private(set) var servers: [String: ConsulServer] = [:]
    private var disks: [String: SimDisk] = [:]
    private var clocks: [String: SimClock] = [:]
    private var incarnations: [String: Int] = [:]
    private var up: Set<String> = []
    private let nodeIDs: [String: String]
    let checker = SafetyChecker()
    /// The workload's shared lock key, held to its holders' lock-delays.
    let lockDelays = LockDelayChecker(key: ServerWorkload.lockKey)
    /// Client agents' forwarding (`ClientBackend`): they keep no replica and send writes to a
    /// server they know, rotating past unreachable ones.
    public private(set) var clients: [ClientBackend] = []
    public var fsyncNanos: ClosedRange<UInt64> = 200_000...3_000_000
    static let serverPort = 8300

    public init(size: Int, seed: UInt64) {
        world = SimWorld(seed: seed)
        fabric = SimStreamNetwork(world: world)
        names = (1...size).map { "s\($0)" }
        var ids: [String: String] = [:]
        var random = SimRandom(seed: seed ^ 0x1D5)
        for name in names { ids[name] = UUIDText.random { random.next() } }
        nodeIDs = ids
        for name in names {
            disks[name] = SimDisk()
            incarnations[name] = 0
        }
        checker.quorum = size / 2 + 1
        checker.durableCopies = { [weak self] index, term in
            guard let self else { return 0 }
            return SafetyChecker.durableCopies(of: index, term: term, on: self.disks.values)
        }
    }

    public func ip(_ name: String) -> String { "10.0.0.\(names.firstIndex(of: name)! + 1)" }
    public var liveServers: [String] { names.filter { up.contains($0) } }
    public func isUp(_ name: String) -> Bool { up.contains(name) }

    /// The LAN pool as gossip would show it: every server, alive while it runs.
    private var members: [SerfMember] {
        names.map { name in
            SerfMember(name: name, addr: IPText.bytes(ip(name))!, port: 8301,
                       tags: ["role": "consul", "dc": "dc1", "id": nodeIDs[name]!, "port": String(Self.serverPort),
                              "expect": String(names.count), "build": "1.20.0:sim"],
                       status: up.contains(name) ? .alive : .failed)
        }
    }

    /// Starts (or restarts from its disk) one server.
    public func start(_ name: String) throws {
        let incarnation = incarnations[name]! + 1
        incarnations[name] = incarnation
        let clock = SimClock(world: world) { [weak self] born in self?.incarnations[name] == born && self?.up.contains(name) == true }
        clock.incarnation = incarnation
        clocks[name] = clock
        let alive = { [weak self] in self?.incarnations[name] == incarnation && self?.up.contains(name) == true }
        var host = ServerHost(clock: clock, network: fabric.host(ip(name)), random: SimRandomSource(world: world))
        host.raftStorage = SimRaftStorage(disk: disks[name]!, world: world, fsyncNanos: fsyncNanos, alive: alive)
        host.snapshotStore = SimSnapshotStore(disk: disks[name]!, world: world, alive: alive)
        var config = AgentConfig()
        config.nodeName = name
        config.server = true
        config.bootstrapExpect = names.count
        config.bindAddr = ip(name)
        config.dataDir = "/sim/\(name)"
        config.ports.server = Self.serverPort
        config.raftMultiplier = 1   // Consul's fastest production timings keep runs short
        let server = try ConsulServer(config: config, nodeID: nodeIDs[name]!, host: host, log: SimLog())
        server.raftNode.snapshotThreshold = 40
        server.raftNode.trailingEntries = 5
        // The server's own HTTP API answers what client agents forward to it, as in production.
        let api = ConsulHTTPAPI(backend: server.backend, agent: SimAgentView(server: server), clock: clock,
                                random: SimRandomSource(world: world), config: APIConfig())
        server.connect(lanMembers: { [weak self] in self?.members ?? [] },
                       dispatchHTTP: { request, responder in api.handle(request, responder) },
                       answerDNS: { _, reply in reply(.error(code: .rejected, message: "no DNS in the simulation")) })
        up.insert(name)
        servers[name] = server
        try server.start()
        let node = server.raftNode
        let id = nodeIDs[name]!
        if incarnation > 1 { lockDelays.lastRestart = world.now }
        let lockKey = lockDelays.key
        lockDelays.started(name, holder: node.store.kvGet(lockKey)?.session ?? "")
        node.onApply = { [weak self, weak node] entry, _ in
            guard let self, let node else { return }
            self.checker.applied(entry, on: id, currentTerm: node.raft.term, store: node.store)
            self.lockDelays.applied(index: entry.index, term: entry.term, on: name, holder: node.store.kvGet(lockKey)?.session ?? "", now: self.world.now)
        }
        node.onPropose = { [weak self, weak node] index, term in
            guard let self, let node else { return }
            self.lockDelays.proposed(index: index, term: term, applied: node.appliedIndex, now: self.world.now)
        }
        node.onRestore = { [weak self, weak node] _ in
            guard let self, let node else { return }
            self.lockDelays.started(name, holder: node.store.kvGet(lockKey)?.session ?? "")
        }
        let logState = node.onSoftState
        node.onSoftState = { [weak self, weak node] soft in
            logState?(soft)
            guard let self, let node, soft.role == .leader else { return }
            self.checker.leaderElected(id, term: soft.term, raft: node.raft)
        }
    }

    public func startAll() throws {
        for name in names { try start(name) }
        for i in 1...2 {
            let clock = SimClock(world: world) { _ in true }
            let rpc = ServerRPC(network: fabric.host("10.0.1.\(i)"), clock: clock)
            clients.append(ClientBackend(rpc: rpc, clock: clock, random: SimRandomSource(world: world)))
        }
        refreshClients()
    }

    /// Clients learn the live servers as gossip would tell them.
    func refreshClients() {
        let alive = liveServers.map { SocketAddress(host: ip($0), port: Self.serverPort) }
        for client in clients { client.updateServers(alive) }
    }

    /// Power loss: memory, timers and connections gone; unsynced writes partly lost.
    public func crash(_ name: String) {
        guard up.contains(name) else { return }
        up.remove(name)
        servers[name]?.stop()
        servers[name] = nil
        fabric.hostDown(ip(name))
        disks[name]!.crash(random: &world.random)
    }

    public func stall(_ name: String, for nanos: UInt64) {
        guard let clock = clocks[name], up.contains(name) else { return }
        clock.stalledUntil = max(clock.stalledUntil, world.now + nanos)
    }

    public func run(for nanos: UInt64) {
        let end = world.now + nanos
        refreshClients()
        while world.now < end, checker.failure == nil {
            world.run(until: min(end, world.now + 10_000_000))
            checker.checkLogs(servers.mapValues(\.raftNode.raft))
        }
    }

    public var leader: String? { liveServers.first { servers[$0]?.raftNode.raft.role == .leader } }
    public var failure: String? { checker.failure ?? lockDelays.failure }
}

/// Clients of the simulated servers: each writes and reads through a random live server (its
/// backend forwards to the leader, or asks it for a read index), and writes through client agents.
public final class ServerWorkload {
    private let cluster: ServerSimCluster
    public private(set) var history: [Operation] = []
    private var inFlight: [Int: Int] = [:]
    private let clients: Int
    private let keys = ["x", "y"]
    private var counter = 0
    static let lockKey = "lock"
    /// Sessions this workload created and has not destroyed.
    private var liveSessions: [String] = []

    public init(cluster: ServerSimCluster, clients: Int = 3) {
        self.cluster = cluster
        self.clients = clients
    }

    public var completedOperations: Int { history.filter { $0.outcome != .failed && $0.outcome != .unknown }.count }
    /// Sessions created and locks they took (the leader's TTL sweep and health invalidation
    /// destroy them; every replica must do so at the same index — the state checks compare).
    public private(set) var sessionsCreated = 0
    public private(set) var locksAcquired = 0
    public private(set) var sessionsDestroyed = 0
    /// Reads answered through a client agent's forwarded HTTP request.
    public private(set) var clientReads = 0

    public func step() {
        for client in 0..<clients where inFlight[client] == nil && cluster.world.random.chance(0.3) { issue(client) }
        if cluster.world.random.chance(0.05) { lockWithSession() }
        if cluster.world.random.chance(0.03) { destroySession() }
    }

    /// Destroys one of the workload's sessions: the lock it may hold is lost, and its
    /// lock-delay starts.
    private func destroySession() {
        let world = cluster.world
        let live = cluster.liveServers
        guard !liveSessions.isEmpty, !live.isEmpty,
              let backend = cluster.servers[live[Int(world.random.below(UInt64(live.count)))]]?.backend else { return }
        let id = liveSessions.remove(at: Int(world.random.below(UInt64(liveSessions.count))))
        backend.apply(.sessionDestroy(id: id)) { [weak self] result in
            if case .success = result { self?.sessionsDestroyed += 1 }
        }
    }

    /// A session on a random live server's node (10 s TTL, never renewed, a lock-delay of 0,
    /// 0.5 or 2 s), then an acquire of the shared lock key with it.
    private func lockWithSession() {
        let live = cluster.liveServers
        guard !live.isEmpty else { return }
        let world = cluster.world
        let name = live[Int(world.random.below(UInt64(live.count)))]
        guard let backend = cluster.servers[name]?.backend else { return }
        var session = Session()
        session.id = UUIDText.random { world.random.next() }
        session.node = name
        session.ttl = "10s"
        session.lockDelay = [0, 500_000_000, 2_000_000_000][Int(world.random.below(3))]
        cluster.lockDelays.delays[session.id] = session.lockDelay
        session.behavior = world.random.chance(0.5) ? .release : .delete
        backend.apply(.sessionCreate(session)) { [weak self, weak backend] result in
            guard case .success(.bool(true)) = result, let self, let backend else { return }
            self.sessionsCreated += 1
            self.liveSessions.append(session.id)
            backend.apply(.kvLock(key: ServerWorkload.lockKey, value: Array(session.id.utf8), flags: 0, session: session.id)) { [weak self] result in
                if case .success(.bool(true)) = result { self?.locksAcquired += 1 }
            }
        }
    }

    private func issue(_ client: Int) {
        let live = cluster.liveServers
        guard !live.isEmpty else { return }
        let world = cluster.world
        guard let server = cluster.servers[live[Int(world.random.below(UInt64(live.count)))]] else { return }
        let key = keys[Int(world.random.below(UInt64(keys.count)))]
        counter += 1
        let value = "v\(counter)"
        let roll = world.random.below(10)
        let kind: Operation.Kind = roll < 4 ? .put(value) : roll < 8 ? .get : .createIfAbsent(value)
        history.append(Operation(client: client, key: key, kind: kind, invoked: world.now))
        let slot = history.count - 1
        inFlight[client] = slot
        world.schedule(after: 10_000_000_000) { [weak self] in
            if self?.inFlight[client] == slot { self?.inFlight[client] = nil }
        }
        let finish: (Operation.Outcome) -> Void = { [weak self] outcome in
            guard let self, self.inFlight[client] == slot else { return }
            self.inFlight[client] = nil
            self.history[slot].completed = world.now
            self.history[slot].outcome = outcome
        }
        // A third of the operations come through a client agent: writes forwarded over the RPC,
        // reads as HTTP requests run by a server's API (`?consistent`).
        let client = cluster.clients.isEmpty || !world.random.chance(0.33)
            ? nil : cluster.clients[Int(world.random.below(UInt64(cluster.clients.count)))]
        let backend: ConsulBackend = client ?? server.backend
        switch kind {
        case .get where client != nil:
            let request: HTTPRequest
            do { request = try HTTPRequest(method: "GET", target: "/v1/kv/\(key)?consistent") } catch {
                preconditionFailure("the workload's own request target is invalid: \(error)")
            }
            client!.forward(request) { [weak self] response in
                switch response.status {
                case 200, 404:
                    let value = response.status == 404 ? nil : ServerWorkload.readValue(response.body)
                    guard response.status == 404 || value != nil else { return finish(.failed) }
                    self?.clientReads += 1
                    finish(.value(value))
                default: finish(.failed)
                }
            }
        case .get:
            let store = backend.store
            backend.prepareRead(.consistent) { result in
                guard case .success = result else { return finish(.failed) }
                finish(.value(store.kvGet(key).map { String(decoding: $0.value, as: UTF8.self) }))
            }
        case .put(let v), .createIfAbsent(let v):
            let command: Command = kind == .put(v) ? .kvSet(key: key, value: Array(v.utf8), flags: 0)
                : .kvCAS(key: key, value: Array(v.utf8), flags: 0, index: 0)
            backend.apply(command) { result in
                switch result {
                case .success(.bool(let ok)): finish(kind == .put(v) ? .ok : .created(ok))
                case .success(.failure): finish(.failed)
                case .success(.json): finish(.unknown)
                // Never proposed (no leader found before the hold timeout): not applied.
                case .failure(.noLeader): finish(.failed)
                // Possibly applied (leadership lost, connection lost after sending).
                case .failure(.other): finish(.unknown)
                }
            }
        default:
            finish(.failed)
        }
    }
}

extension ServerWorkload {
    /// The value of the one entry in a `/v1/kv/<key>` answer (nil when it is not one).
    static func readValue(_ body: [UInt8]) -> String? {
        // An unreadable answer is a failed read for the history (the caller records it so).
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { return nil }
        guard let entry = json.arrayValue?.first, let text = entry["Value"]?.stringValue,
              let bytes = Base64.decode(text) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a simulated server's HTTP API needs to know of its agent.
final class SimAgentView: AgentView {
    private unowned let server: ConsulServer
    init(server: ConsulServer) { self.server = server }
    var nodeName: String { server.config.nodeName }
    var nodeID: String { server.nodeID }
    var datacenter: String { server.config.datacenter }
    var isServer: Bool { true }
    var leaderAddress: String { server.leaderAddress }
    var raftPeers: [String] { server.raftPeers }
    var localMember: MemberInfo { MemberInfo(name: nodeName, address: server.config.bindAddr, port: 8301, tags: [], status: 1) }
    var lanMembers: [MemberInfo] { [localMember] }
    var wanMembers: [MemberInfo] { [] }
    var knownDatacenters: [String] { [datacenter] }
    var localCoordinate: NodeCoordinate? { nil }
    var lanCoordinates: [NodeCoordinate] { [] }
    var wanCoordinates: [(String, [NodeCoordinate])] { [] }
    var debugConfig: [(String, String)] { [] }
}

/// One seeded run of the production server: chaos (crashes, partitions, stalls) under load,
/// healing, then liveness, convergence, the safety checks and linearizability.
public enum ServerSimRunner {
    static let second: UInt64 = 1_000_000_000

    public static func run(seed: UInt64, size requested: Int? = nil, chaosSeconds: UInt64 = 12) -> SimRunResult {
        var pick = SimRandom(seed: seed ^ 0x5E2)
        let size = requested ?? [3, 5][Int(pick.below(2))]
        let cluster = ServerSimCluster(size: size, seed: seed)
        var result = SimRunResult(seed: seed, size: size, failure: nil, operations: 0, applied: 0, crashes: 0)
        do { try cluster.startAll() } catch {
            result.failure = "start: \(error)"
            return result
        }
        let workload = ServerWorkload(cluster: cluster)
        let chaosEnd = cluster.world.now + chaosSeconds * second
        while cluster.world.now < chaosEnd && cluster.failure == nil {
            workload.step()
            let roll = cluster.world.random.below(1000)
            let victim = cluster.names[Int(cluster.world.random.below(UInt64(size)))]
            if roll < 6 {
                if cluster.isUp(victim) {
                    cluster.crash(victim)
                    result.crashes += 1
                } else {
                    do { try cluster.start(victim) } catch { result.failure = "restart of \(victim): \(error)" }
                }
            } else if roll < 10 {
                let other = cluster.names[Int(cluster.world.random.below(UInt64(size)))]
                if other != victim { cluster.fabric.partition(cluster.ip(victim), cluster.ip(other)) }
            } else if roll < 18 {
                cluster.fabric.heal()
            } else if roll < 21 {
                cluster.stall(victim, for: cluster.world.random.range(100_000_000, 2_000_000_000))
            }
            cluster.run(for: 50_000_000)
        }
        cluster.fabric.heal()
        for name in cluster.names where !cluster.isUp(name) {
            do { try cluster.start(name) } catch { result.failure = "restart of \(name): \(error)" }
        }
        if result.failure != nil { return result }
        cluster.run(for: 10 * second)
        var livenessOK = false
        if let leader = cluster.leader, let server = cluster.servers[leader] {
            server.backend.apply(.kvSet(key: "liveness", value: [1], flags: 0)) { r in
                if case .success = r { livenessOK = true }
            }
        }
        cluster.run(for: 10 * second)
        result.operations = workload.history.count
        result.completed = workload.completedOperations
        result.sessions = workload.sessionsCreated
        result.clientReads = workload.clientReads
        result.lockDelayChecks = cluster.lockDelays.acquisitionsChecked
        result.applied = cluster.checker.highestApplied
        if let failure = cluster.failure {
            result.failure = failure
            return result
        }
        // The leader's own duties (session expiry, reconciliation) keep writing, so servers are
        // compared at a moment they agree on the applied index, waited for (bounded).
        var applied = cluster.names.compactMap { cluster.servers[$0]?.raftNode.appliedIndex }
        var waited: UInt64 = 0
        while livenessOK && Set(applied).count != 1 && waited < 5 * second {
            cluster.run(for: 10_000_000)
            waited += 10_000_000
            applied = cluster.names.compactMap { cluster.servers[$0]?.raftNode.appliedIndex }
        }
        // The whole replicated state — catalog from reconciliation, sessions and the locks they
        // hold or lost — must be the same on every server.
        let states = cluster.names.compactMap { cluster.servers[$0].map { fnv($0.backend.store.snapshot()) } }
        result.failure = HealedRunVerdict.failure(livenessOK: livenessOK, leader: cluster.leader, applied: applied,
                                                  stateHashes: states, history: workload.history)
        return result
    }
}

/// Randomness for a simulated server, drawn from the world's seeded generator.
final class SimRandomSource: RandomSource {
    private let world: SimWorld
    init(world: SimWorld) { self.world = world }
    func nextUInt64() -> UInt64 { world.random.next() }
}

/// Simulated servers log nowhere (the checkers report what matters).
final class SimLog: Logging {
    func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)]) {}
}
