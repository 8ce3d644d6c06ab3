import ConsulState
import Platform
import Raft
import Server

/// A cluster of production RaftNodes (Server module) in the simulated world: each with its own
/// clock, disk and transport; servers crash (losing unsynced writes and all memory) and restart
/// from what their disk holds.
public final class SimCluster {
    public let world: SimWorld
    public let network: SimNetwork
    public let ids: [ServerID]
    public private(set) var nodes: [ServerID: RaftNode] = [:]
    public private(set) var disks: [ServerID: SimDisk] = [:]
    private var clocks: [ServerID: SimClock] = [:]
    private var incarnations: [ServerID: Int] = [:]
    private var up: Set<ServerID> = []
    let checker: SafetyChecker
    public var tickNanos: UInt64 = 10_000_000
    public var snapshotThreshold: UInt64 = 40
    public var trailingEntries: UInt64 = 5
    public var fsyncNanos: ClosedRange<UInt64> = 200_000...3_000_000
    private let seed: UInt64

    public init(size: Int, seed: UInt64) {
        self.seed = seed
        world = SimWorld(seed: seed)
        network = SimNetwork(world: world)
        ids = (1...size).map { "s\($0)" }
        checker = SafetyChecker()
        network.deliver = { [weak self] m in self?.deliver(m) }
        for id in ids {
            disks[id] = SimDisk()
            incarnations[id] = 0
        }
        checker.quorum = size / 2 + 1
        checker.durableCopies = { [weak self] index, term in
            guard let self else { return 0 }
            return SafetyChecker.durableCopies(of: index, term: term, on: self.disks.values)
        }
    }

    public func startAll() throws {
        for id in ids { try start(id) }
    }

    public var liveServers: [ServerID] { ids.filter { up.contains($0) } }
    public func isUp(_ id: ServerID) -> Bool { up.contains(id) }

    /// Starts (or restarts) a server from its disk.
    public func start(_ id: ServerID) throws {
        let incarnation = incarnations[id]! + 1
        incarnations[id] = incarnation
        let clock = SimClock(world: world) { [weak self] born in self?.incarnations[id] == born && self?.up.contains(id) == true }
        clock.incarnation = incarnation
        clocks[id] = clock
        let disk = disks[id]!
        let alive = { [weak self] in self?.incarnations[id] == incarnation && self?.up.contains(id) == true }
        let storage = SimRaftStorage(disk: disk, world: world, fsyncNanos: fsyncNanos, alive: alive)
        let snapshots = SimSnapshotStore(disk: disk, world: world, alive: alive)
        var config = RaftConfig(id: id)
        config.electionTicks = 10
        config.heartbeatTicks = 2
        config.leaseTicks = 5
        config.seed = seed &+ UInt64(incarnation) &* 7919
        config.snapshotChunkBytes = 64
        let (raft, store) = try RaftNodeRecovery.recover(config: config, storage: storage, snapshots: snapshots,
                                                          bootstrap: Configuration(voters: Set(ids)))
        let node = RaftNode(raft: raft, store: store, storage: storage, transport: SimTransport(network: network),
                            clock: clock, tickNanoseconds: tickNanos)
        node.snapshotStore = snapshots
        node.snapshotThreshold = snapshotThreshold
        node.trailingEntries = trailingEntries
        node.onApply = { [weak self, weak node] entry, _ in
            guard let self, let node else { return }
            self.checker.applied(entry, on: id, currentTerm: node.raft.term, store: node.store)
        }
        node.onSoftState = { [weak self, weak node] soft in
            guard let self, let node else { return }
            if soft.role == .leader { self.checker.leaderElected(id, term: soft.term, raft: node.raft) }
        }
        node.onFatal = { message in fatalError("simulated storage failed on \(id): \(message)") }
        up.insert(id)
        nodes[id] = node
        node.start()
    }

    /// A message reaches a stalled server only when it runs again.
    private func deliver(_ m: Message) {
        if let clock = clocks[m.to], world.now < clock.stalledUntil {
            let incarnation = incarnations[m.to]
            world.schedule(at: clock.stalledUntil) { [weak self] in
                guard let self, self.incarnations[m.to] == incarnation else { return }
                self.deliver(m)
            }
            return
        }
        nodes[m.to]?.receive(m)
    }

    /// Freezes a server for `nanos` (its timers and incoming messages wait), as SIGSTOP or a
    /// long pause would; when it resumes, time has jumped forward under it.
    public func stall(_ id: ServerID, for nanos: UInt64) {
        guard let clock = clocks[id], up.contains(id) else { return }
        clock.stalledUntil = max(clock.stalledUntil, world.now + nanos)
    }

    /// Sets a server's clock drift (timers run at `rate` × real time).
    public func setClockRate(_ id: ServerID, _ rate: Double) { clocks[id]?.rate = rate }

    /// Power loss: memory and timers gone, unsynced writes partly lost.
    public func crash(_ id: ServerID) {
        guard up.contains(id) else { return }
        up.remove(id)
        nodes[id]?.stop()
        nodes[id] = nil
        disks[id]!.crash(random: &world.random)
    }

    public func run(for nanos: UInt64) {
        let end = world.now + nanos
        while world.now < end {
            world.run(until: min(end, world.now + tickNanos))
            checker.checkLogs(nodes.mapValues(\.raft))
            if let failure = checker.failure { fatalErrorOrRecord(failure) ; return }
        }
    }

    func fatalErrorOrRecord(_ failure: String) { checker.failure = failure }

    public var leader: ServerID? {
        liveServers.first { nodes[$0]?.raft.role == .leader && nodes[$0]?.raft.hasLeaderLease == true }
    }

    public var failure: String? { checker.failure }
}
