import Raft
import Server

/// Fault knobs for the simulated network.
public struct NetworkFaults: Sendable {
    public var dropProbability = 0.0
    public var duplicateProbability = 0.0
    /// One-way delay range; a wide range reorders messages.
    public var delayNanos: ClosedRange<UInt64> = 1_000_000...5_000_000
    public init() {}
}

/// Delivers Raft messages between simulated servers with delay, loss, duplication, reordering
/// and partitions, all decided by the world's RNG.
public final class SimNetwork {
    private let world: SimWorld
    public var faults = NetworkFaults()
    /// Pairs (from, to) that cannot communicate.
    private var blocked: Set<[ServerID]> = []
    var deliver: (Message) -> Void = { _ in }
    public private(set) var sent = 0
    public private(set) var dropped = 0

    init(world: SimWorld) { self.world = world }

    func send(_ m: Message) {
        sent += 1
        if blocked.contains([m.from, m.to]) || world.random.chance(faults.dropProbability) {
            dropped += 1
            return
        }
        let copies = world.random.chance(faults.duplicateProbability) ? 2 : 1
        for _ in 0..<copies {
            let delay = world.random.range(faults.delayNanos.lowerBound, faults.delayNanos.upperBound)
            world.schedule(after: delay) { [weak self] in
                guard let self, !self.blocked.contains([m.from, m.to]) else { return }
                self.deliver(m)
            }
        }
    }

    /// Cuts every link between the two groups (both directions).
    public func partition(_ a: [ServerID], _ b: [ServerID]) {
        for x in a { for y in b { blocked.insert([x, y]); blocked.insert([y, x]) } }
    }

    /// Isolates one server from all others.
    public func isolate(_ s: ServerID, from all: [ServerID]) { partition([s], all.filter { $0 != s }) }

    public func heal() { blocked = [] }
}

/// One server's outgoing side, handed to its RaftNode.
final class SimTransport: RaftTransport {
    private let network: SimNetwork
    init(network: SimNetwork) { self.network = network }
    func send(_ message: Message) { network.send(message) }
}
