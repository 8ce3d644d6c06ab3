import Wire
import Platform

/// What memberlist knows about one node.
public struct NodeRecord: Equatable, Sendable {
    public var name: String
    public var addr: IPBytes
    public var port: UInt16
    public var meta: [UInt8]
    public var incarnation: UInt32
    public var state: NodeStateKind
    public var stateChange: Instant
    /// pmin, pmax, pcur, dmin, dmax, dcur.
    public var vsn: [UInt8]

    public var address: SocketAddress { SocketAddress(host: IPText.text(addr) ?? "0.0.0.0", port: Int(port)) }
    var protocolMax: UInt8 { vsn.count == 6 ? vsn[1] : 0 }
    var isDeadOrLeft: Bool { state == .dead || state == .left }
}

/// The layer above memberlist (serf): tags, user messages, extra state, node events.
/// Called synchronously from inside the core; implementations must not call back into it
/// re-entrantly except through the documented `Memberlist` inputs after returning.
public protocol MemberlistDelegate: AnyObject {
    /// Our node's meta (serf: encoded tags), at most `limit` bytes.
    func nodeMeta(limit: Int) -> [UInt8]
    /// A user message (serf message) from the network.
    func notifyMessage(_ bytes: [UInt8], now: Instant)
    /// Queued user messages to piggy-back, each costing its size plus `overhead`, within `limit`.
    func broadcasts(overhead: Int, limit: Int) -> [[UInt8]]
    func localState(join: Bool) -> [UInt8]
    func mergeRemoteState(_ bytes: [UInt8], join: Bool, now: Instant)
    func ackPayload() -> [UInt8]?
    func notifyPingComplete(node: String, rttNanos: UInt64, payload: [UInt8]?)
    func notifyJoin(_ node: NodeRecord, now: Instant)
    func notifyLeave(_ node: NodeRecord, now: Instant)
    func notifyUpdate(_ node: NodeRecord, now: Instant)
    /// Veto a push/pull merge (Consul's merge delegate); nil allows it.
    func vetoMerge(_ nodes: [NodeRecord]) -> String?
    /// Veto one alive message about another node; nil allows it.
    func vetoAlive(_ node: NodeRecord) -> String?
}

/// Side effects the driver performs, in order.
public enum MemberlistAction: Equatable, Sendable {
    /// One UDP datagram (plaintext; the driver encrypts when a keyring is set).
    case sendPacket(to: SocketAddress, bytes: [UInt8])
    /// Open TCP to `to`, write one stream message, read one reply, then call
    /// `streamFinished(id:reply:error:now:)`. A stream that needs no reply (user message) is
    /// closed after writing and reported with reply nil, error nil.
    case openStream(id: UInt64, to: SocketAddress, bytes: [UInt8], expectsReply: Bool, timeoutNanos: UInt64)
    /// A `join` finished: how many addresses answered, and why the others did not.
    case joinFinished(id: UInt64, joined: Int, errors: [String])
    /// Something worth an operator's attention (log line at WARN).
    case warning(String)
}

/// Counters an operator (and the fuzz/robustness tests) can read.
public struct MemberlistStats: Equatable, Sendable {
    public var packetsReceived = 0
    public var packetsDropped = 0
    public var streamsDropped = 0
    public var probes = 0
    public var probeFailures = 0
    public var refutations = 0
    /// Gossip rounds run (one per gossip interval with anyone to gossip to).
    public var gossipRounds = 0
}

/// SWIM failure detection with Lifeguard, piggy-backed gossip and push/pull anti-entropy, as
/// HashiCorp memberlist does it, on its wire format. A pure state machine: inputs are
/// datagrams, stream messages, stream outcomes and `tick(now:)`; output is `takeActions()`.
/// The driver calls `tick` at `nextDeadline` (or sooner) and after every input.
public final class Memberlist {
    public internal(set) var config: MemberlistConfig
    public weak var delegate: MemberlistDelegate?
    let random: RandomSource

    public internal(set) var nodes: [String: NodeRecord] = [:]
    var probeOrder: [String] = []
    var probeIndex = 0
    var sequence: UInt32 = 0
    var streamSequence: UInt64 = 0
    var broadcasts = BroadcastQueue()
    var suspicions: [String: Suspicion] = [:]
    var actions: [MemberlistAction] = []
    public internal(set) var stats = MemberlistStats()
    /// How long each finished probe took (ack, or the verdict of a failed one), oldest first,
    /// for the driver's `memberlist.probeNode` timer; `takeProbeDurations` empties it.
    var probeDurations: [UInt64] = []

    public func takeProbeDurations() -> [UInt64] {
        defer { probeDurations.removeAll(keepingCapacity: true) }
        return probeDurations
    }
    /// Lifeguard local health score, 0 (healthy) ..< awarenessMaxMultiplier.
    public internal(set) var healthScore = 0
    public internal(set) var isLeaving = false
    /// Set by the driver when it seals datagrams: shrinks the piggy-back budget.
    public var encryptionOverhead = 0

    // Timers
    var nextProbeAt: Instant
    var nextGossipAt: Instant
    var nextPushPullAt: Instant
    var probe: ProbeInFlight?
    var relays: [UInt32: RelayInFlight] = [:]
    var streams: [UInt64: PendingStream] = [:]
    var joins: [UInt64: JoinInFlight] = [:]

    public init(config: MemberlistConfig, delegate: MemberlistDelegate?, random: RandomSource, now: Instant) {
        self.config = config
        self.delegate = delegate
        self.random = random
        nextProbeAt = now.adding(nanoseconds: random.next(below: config.probeIntervalNanos))
        nextGossipAt = now.adding(nanoseconds: config.gossipIntervalNanos)
        nextPushPullAt = now.adding(nanoseconds: config.pushPullIntervalNanos)
        let me = NodeRecord(name: config.name, addr: config.advertiseAddr, port: config.advertisePort,
                            meta: delegate?.nodeMeta(limit: Memberlist.metaMaxSize) ?? [], incarnation: 1,
                            state: .alive, stateChange: now, vsn: localVsn)
        nodes[me.name] = me
        probeOrder.append(me.name)
        broadcasts.enqueue(MemberlistCodec.encode(.alive(aliveMessage(for: me))), subject: me.name)
    }

    public static let metaMaxSize = 512

    var localVsn: [UInt8] {
        [MemberlistConfig.memberlistProtocolMin, MemberlistConfig.memberlistProtocolMax, MemberlistConfig.memberlistProtocolCurrent,
         SerfConfig.protocolMin, SerfConfig.protocolMax, 4]
    }

    public var localNode: NodeRecord { nodes[config.name]! }

    /// Nodes not known to be dead or left (ourselves included).
    public var aliveCount: Int { nodes.values.reduce(0) { $0 + ($1.isDeadOrLeft ? 0 : 1) } }

    public func takeActions() -> [MemberlistAction] {
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    /// Memberlist broadcasts (alive/suspect/dead) not yet sent their full number of times.
    public var pendingBroadcasts: Int { broadcasts.count }

    /// The earliest time `tick` has work to do.
    public var nextDeadline: Instant {
        var t = min(nextProbeAt, nextGossipAt, nextPushPullAt)
        if let probe { t = min(t, probe.nextCheck) }
        for relay in relays.values { t = min(t, relay.deadline) }
        for s in suspicions.values { t = min(t, s.deadline) }
        return t
    }

    public func tick(now: Instant) {
        if let probe, now >= probe.nextCheck { advanceProbe(now: now) }
        if now >= nextProbeAt {
            // One probe at a time; a probe still running when the next is due (it ends at the
            // same moment) simply skips this round.
            nextProbeAt = now.adding(nanoseconds: scaledProbeInterval)
            if probe == nil && !isLeaving { startProbe(now: now) }
        }
        if now >= nextGossipAt {
            nextGossipAt = now.adding(nanoseconds: config.gossipIntervalNanos)
            gossip(now: now)
        }
        if now >= nextPushPullAt {
            nextPushPullAt = now.adding(nanoseconds: pushPullInterval)
            periodicPushPull(now: now)
        }
        expireRelays(now: now)
        let due = suspicions.filter { now >= $0.value.deadline }.map(\.key).sorted()
        for name in due { suspicionExpired(name, now: now) }
    }

    /// Our tags changed: a new alive with a higher incarnation tells everyone.
    public func updateMeta(now: Instant) {
        guard var me = nodes[config.name] else { return }
        me.meta = delegate?.nodeMeta(limit: Memberlist.metaMaxSize) ?? []
        me.incarnation &+= 1
        nodes[me.name] = me
        broadcasts.enqueue(MemberlistCodec.encode(.alive(aliveMessage(for: me))), subject: me.name)
    }

    /// Re-reads our meta from the delegate without a new incarnation (used once, when the
    /// delegate is attached after construction).
    public func refreshLocalMeta() {
        guard var me = nodes[config.name] else { return }
        me.meta = delegate?.nodeMeta(limit: Memberlist.metaMaxSize) ?? []
        nodes[me.name] = me
        broadcasts.enqueue(MemberlistCodec.encode(.alive(aliveMessage(for: me))), subject: me.name)
    }

    func aliveMessage(for node: NodeRecord) -> Alive {
        Alive(incarnation: node.incarnation, node: node.name, addr: node.addr, port: node.port, meta: node.meta, vsn: node.vsn)
    }

    func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    var scaledProbeInterval: UInt64 { config.probeIntervalNanos * UInt64(healthScore + 1) }

    var pushPullInterval: UInt64 {
        let n = nodes.count
        guard n > 32 else { return config.pushPullIntervalNanos }
        let mult = (GossipMath.ln(Double(n)) / GossipMath.ln2 - 5).rounded(.up) + 1
        return config.pushPullIntervalNanos * UInt64(max(1, mult))
    }

    func adjustHealth(_ delta: Int) {
        healthScore = min(max(0, healthScore + delta), config.awarenessMaxMultiplier - 1)
    }

    func transmitLimit() -> Int { retransmitLimit(mult: config.retransmitMult, nodes: nodes.count) }
}
