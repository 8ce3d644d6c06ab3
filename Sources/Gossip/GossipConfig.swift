import Wire

/// memberlist timings for one pool (../shared/reference/agent.md §6.1, gossip-wire.md §7.7).
/// Durations in nanoseconds.
public struct MemberlistConfig: Sendable {
    public var name: String
    /// What we advertise in our alive message: where peers reach our UDP and TCP listener.
    public var advertiseAddr: IPBytes
    public var advertisePort: UInt16

    public var probeIntervalNanos: UInt64
    public var probeTimeoutNanos: UInt64
    public var indirectChecks: Int
    public var suspicionMult: Int
    public var suspicionMaxTimeoutMult: Int
    /// Lifeguard local health: probe interval × (score + 1), score in 0..<awarenessMaxMultiplier.
    public var awarenessMaxMultiplier: Int
    public var gossipIntervalNanos: UInt64
    public var gossipNodes: Int
    public var gossipToTheDeadNanos: UInt64
    public var pushPullIntervalNanos: UInt64
    public var retransmitMult: Int
    /// A dead node's name may be taken by a new address after this long (0 = never).
    public var deadNodeReclaimNanos: UInt64
    public var tcpTimeoutNanos: UInt64
    /// Piggy-backing budget for one UDP datagram.
    public var udpBufferSize: Int
    /// Compress UDP datagrams when it makes them shorter, and every TCP message.
    public var enableCompression: Bool

    public static let memberlistProtocolMin: UInt8 = 1
    public static let memberlistProtocolMax: UInt8 = 5
    public static let memberlistProtocolCurrent: UInt8 = 2

    public init(name: String, advertiseAddr: IPBytes, advertisePort: UInt16,
                probeIntervalNanos: UInt64, probeTimeoutNanos: UInt64, indirectChecks: Int,
                suspicionMult: Int, suspicionMaxTimeoutMult: Int, awarenessMaxMultiplier: Int,
                gossipIntervalNanos: UInt64, gossipNodes: Int, gossipToTheDeadNanos: UInt64,
                pushPullIntervalNanos: UInt64, retransmitMult: Int, deadNodeReclaimNanos: UInt64,
                tcpTimeoutNanos: UInt64, udpBufferSize: Int = 1400, enableCompression: Bool = true) {
        self.name = name; self.advertiseAddr = advertiseAddr; self.advertisePort = advertisePort
        self.probeIntervalNanos = probeIntervalNanos; self.probeTimeoutNanos = probeTimeoutNanos
        self.indirectChecks = indirectChecks; self.suspicionMult = suspicionMult
        self.suspicionMaxTimeoutMult = suspicionMaxTimeoutMult; self.awarenessMaxMultiplier = awarenessMaxMultiplier
        self.gossipIntervalNanos = gossipIntervalNanos; self.gossipNodes = gossipNodes
        self.gossipToTheDeadNanos = gossipToTheDeadNanos; self.pushPullIntervalNanos = pushPullIntervalNanos
        self.retransmitMult = retransmitMult; self.deadNodeReclaimNanos = deadNodeReclaimNanos
        self.tcpTimeoutNanos = tcpTimeoutNanos; self.udpBufferSize = udpBufferSize
        self.enableCompression = enableCompression
    }

    static let ms: UInt64 = 1_000_000
    static let s: UInt64 = 1_000_000_000

    /// Consul's LAN pool.
    public static func lan(name: String, addr: IPBytes, port: UInt16) -> MemberlistConfig {
        MemberlistConfig(name: name, advertiseAddr: addr, advertisePort: port,
                         probeIntervalNanos: 1 * s, probeTimeoutNanos: 500 * ms, indirectChecks: 3,
                         suspicionMult: 4, suspicionMaxTimeoutMult: 6, awarenessMaxMultiplier: 8,
                         gossipIntervalNanos: 200 * ms, gossipNodes: 3, gossipToTheDeadNanos: 30 * s,
                         pushPullIntervalNanos: 30 * s, retransmitMult: 4, deadNodeReclaimNanos: 30 * s,
                         tcpTimeoutNanos: 10 * s)
    }

    /// Consul's WAN pool (servers only).
    public static func wan(name: String, addr: IPBytes, port: UInt16) -> MemberlistConfig {
        MemberlistConfig(name: name, advertiseAddr: addr, advertisePort: port,
                         probeIntervalNanos: 5 * s, probeTimeoutNanos: 3 * s, indirectChecks: 3,
                         suspicionMult: 6, suspicionMaxTimeoutMult: 6, awarenessMaxMultiplier: 8,
                         gossipIntervalNanos: 500 * ms, gossipNodes: 3, gossipToTheDeadNanos: 60 * s,
                         pushPullIntervalNanos: 60 * s, retransmitMult: 4, deadNodeReclaimNanos: 30 * s,
                         tcpTimeoutNanos: 30 * s)
    }

    /// memberlist's "local" profile: what `-dev` uses for quick convergence on one host.
    public static func local(name: String, addr: IPBytes, port: UInt16) -> MemberlistConfig {
        MemberlistConfig(name: name, advertiseAddr: addr, advertisePort: port,
                         probeIntervalNanos: 1 * s, probeTimeoutNanos: 200 * ms, indirectChecks: 1,
                         suspicionMult: 3, suspicionMaxTimeoutMult: 6, awarenessMaxMultiplier: 8,
                         gossipIntervalNanos: 100 * ms, gossipNodes: 3, gossipToTheDeadNanos: 15 * s,
                         pushPullIntervalNanos: 15 * s, retransmitMult: 2, deadNodeReclaimNanos: 30 * s,
                         tcpTimeoutNanos: 1 * s)
    }
}

/// serf's knobs as Consul sets them (agent.md §6.1).
public struct SerfConfig: Sendable {
    public var reconnectIntervalNanos: UInt64 = 30 * MemberlistConfig.s
    public var reconnectTimeoutNanos: UInt64 = 72 * 3600 * MemberlistConfig.s
    public var reapIntervalNanos: UInt64 = 15 * MemberlistConfig.s
    public var tombstoneTimeoutNanos: UInt64 = 24 * 3600 * MemberlistConfig.s
    public var recentIntentTimeoutNanos: UInt64 = 5 * 60 * MemberlistConfig.s
    public var eventBuffer: Int = 512
    public var queryBuffer: Int = 512
    /// Name + payload of a user event.
    public var userEventSizeLimit: Int = 512
    /// Serf (delegate) protocol we speak: Consul uses 4.
    public var protocolVersion: UInt8 = 4
    public init() {}

    public static let protocolMin: UInt8 = 2
    public static let protocolMax: UInt8 = 5
}
