import Wire
import Gossip
import Platform

/// Many gossip agents (the production `Serf` + `Memberlist` cores) on one simulated clock and
/// network: datagrams with delay and loss, TCP exchanges as a request and a reply, partitions
/// and killed processes. Every run is determined by its seed.
public final class GossipSimulation {
    public final class Node {
        public let index: Int
        public let name: String
        public let address: SocketAddress
        public let serf: Serf
        public internal(set) var running = true
        /// Every serf event this node reported, with the simulated time.
        public internal(set) var events: [(time: UInt64, event: SerfEvent)] = []
        var tickAt: UInt64?

        init(index: Int, name: String, address: SocketAddress, serf: Serf) {
            self.index = index; self.name = name; self.address = address; self.serf = serf
        }

        /// This node's view: member name → status.
        public var view: [String: MemberStatus] {
            var out: [String: MemberStatus] = [:]
            for member in serf.members { out[member.name] = member.status }
            return out
        }
    }

    public let world: SimWorld
    public private(set) var nodes: [Node] = []
    private var byAddress: [SocketAddress: Int] = [:]
    /// Datagram loss probability (TCP exchanges are reliable unless partitioned or dead).
    public var lossRate = 0.0
    public var delayNanos: ClosedRange<UInt64> = 200_000...2_000_000
    private var blocked: Set<[Int]> = []
    public private(set) var packetsSent = 0
    public private(set) var packetsLost = 0
    public private(set) var joinResults: [Int: (joined: Int, errors: [String])] = [:]

    private final class Random: RandomSource {
        var state: SimRandom
        init(seed: UInt64) { state = SimRandom(seed: seed) }
        func nextUInt64() -> UInt64 { state.next() }
    }

    public init(seed: UInt64, nodeCount: Int,
                profile: (String, IPBytes, UInt16) -> MemberlistConfig = { MemberlistConfig.lan(name: $0, addr: $1, port: $2) }) {
        world = SimWorld(seed: seed)
        for i in 0..<nodeCount {
            let ip: IPBytes = [10, 0, UInt8(i / 250), UInt8(i % 250 + 1)]
            let name = "node-\(i)"
            let config = profile(name, ip, 8301)
            let serf = Serf(memberlistConfig: config, tags: ["role": "node", "dc": "dc1"],
                            random: Random(seed: seed &* 1_000_003 &+ UInt64(i)), now: Instant(nanoseconds: 0))
            let node = Node(index: i, name: name, address: SocketAddress(host: IPText.text(ip)!, port: 8301), serf: serf)
            nodes.append(node)
            byAddress[node.address] = i
        }
        for node in nodes { pump(node) }
    }

    public var now: UInt64 { world.now }

    public func run(until time: UInt64) { world.run(until: time) }
    public func run(forSeconds seconds: Double) { world.run(until: world.now + UInt64(seconds * 1e9)) }

    /// Node `i` joins through the nodes listed in `seeds`.
    public func join(_ i: Int, seeds: [Int]) {
        let node = nodes[i]
        node.serf.join(seeds.map { nodes[$0].address }, ignoreOld: true, now: Instant(nanoseconds: world.now))
        pump(node)
    }

    /// A process death: no more packets, timers or replies from it.
    public func kill(_ i: Int) { nodes[i].running = false }

    public func leave(_ i: Int) {
        let node = nodes[i]
        node.serf.leave(now: Instant(nanoseconds: world.now))
        pump(node)
    }

    public func memberlistLeave(_ i: Int) {
        let node = nodes[i]
        node.serf.memberlist.leave(now: Instant(nanoseconds: world.now))
        pump(node)
    }

    /// Cuts every link between the groups, both ways.
    public func partition(_ a: [Int], _ b: [Int]) {
        for x in a { for y in b { blocked.insert([x, y]); blocked.insert([y, x]) } }
    }

    public func heal() { blocked.removeAll() }

    /// Runs `body` against node `i`'s core (e.g. to inject a message) and performs the result.
    public func with(_ i: Int, _ body: (Serf, Instant) -> Void) {
        body(nodes[i].serf, Instant(nanoseconds: world.now))
        pump(nodes[i])
    }

    private func reachable(_ from: Int, _ to: Int) -> Bool {
        nodes[to].running && !blocked.contains([from, to])
    }

    /// Performs a node's pending actions and (re)arms its timer.
    private func pump(_ node: Node) {
        guard node.running else { return }
        let now = Instant(nanoseconds: world.now)
        for event in node.serf.takeEvents() { node.events.append((world.now, event)) }
        for action in node.serf.takeActions() {
            switch action {
            case .sendPacket(let to, let bytes):
                packetsSent += 1
                guard let target = byAddress[to] else { continue }
                if world.random.chance(lossRate) { packetsLost += 1; continue }
                let from = node.address
                world.schedule(after: world.random.range(delayNanos.lowerBound, delayNanos.upperBound)) { [self] in
                    guard reachable(node.index, target) else { return }
                    nodes[target].serf.receivePacket(bytes, from: from, now: Instant(nanoseconds: world.now))
                    pump(nodes[target])
                }
            case .openStream(let id, let to, let bytes, let expectsReply, let timeout):
                exchange(from: node, id: id, to: to, bytes: bytes, expectsReply: expectsReply, timeout: timeout)
            case .joinFinished(_, let joined, let errors):
                joinResults[node.index] = (joined, errors)
            case .warning:
                break
            }
        }
        for event in node.serf.takeEvents() { node.events.append((world.now, event)) }
        let deadline = node.serf.nextDeadline.nanoseconds
        if node.tickAt == nil || deadline < node.tickAt! {
            node.tickAt = deadline
            world.schedule(at: deadline) { [self] in
                guard node.running, node.tickAt == deadline else { return }
                node.tickAt = nil
                node.serf.tick(now: Instant(nanoseconds: world.now))
                pump(node)
            }
        }
    }

    /// One TCP exchange: the request arrives after a delay, the reply comes back after another.
    /// A dead or cut-off peer shows as a timeout.
    private func exchange(from node: Node, id: UInt64, to: SocketAddress, bytes: [UInt8], expectsReply: Bool, timeout: UInt64) {
        let delay = world.random.range(delayNanos.lowerBound, delayNanos.upperBound)
        let fail = { [self] in
            world.schedule(after: timeout) { [self] in
                guard node.running else { return }
                node.serf.streamFinished(id: id, reply: nil, error: "i/o timeout", now: Instant(nanoseconds: world.now))
                pump(node)
            }
        }
        guard let target = byAddress[to] else { fail(); return }
        world.schedule(after: delay) { [self] in
            guard reachable(node.index, target), let decoded = try? MemberlistCodec.decodeStream(bytes) else { fail(); return }
            let peer = nodes[target]
            let reply = peer.serf.receiveStream(decoded.message, from: node.address, now: Instant(nanoseconds: world.now))
            pump(peer)
            world.schedule(after: delay) { [self] in
                guard node.running else { return }
                let message: MemberlistMessage? = expectsReply ? reply.flatMap { try? MemberlistCodec.decodeStream($0)?.message } : nil
                node.serf.streamFinished(id: id, reply: message, error: message == nil && expectsReply ? "EOF" : nil,
                                         now: Instant(nanoseconds: world.now))
                pump(node)
            }
        }
    }
}
