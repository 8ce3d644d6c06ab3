import Wire

/// memberlist's messages as values (../shared/reference/gossip-wire.md §2, §5). Field names
/// follow the wire keys; the byte encoding lives in MemberlistCodec.swift.

public struct Ping: Equatable, Sendable {
    public var seqNo: UInt32
    /// The intended target's name; a receiver ignores a ping naming somebody else.
    public var node: String
    public var sourceAddr: IPBytes?
    public var sourcePort: UInt16?
    public var sourceNode: String?
    public init(seqNo: UInt32, node: String, sourceAddr: IPBytes? = nil, sourcePort: UInt16? = nil, sourceNode: String? = nil) {
        self.seqNo = seqNo; self.node = node; self.sourceAddr = sourceAddr; self.sourcePort = sourcePort; self.sourceNode = sourceNode
    }
}

public struct IndirectPing: Equatable, Sendable {
    public var seqNo: UInt32
    public var target: IPBytes
    public var port: UInt16
    public var node: String
    /// Asks the intermediary for a nack when the target stays silent.
    public var nack: Bool
    public var sourceAddr: IPBytes?
    public var sourcePort: UInt16?
    public var sourceNode: String?
    public init(seqNo: UInt32, target: IPBytes, port: UInt16, node: String, nack: Bool,
                sourceAddr: IPBytes? = nil, sourcePort: UInt16? = nil, sourceNode: String? = nil) {
        self.seqNo = seqNo; self.target = target; self.port = port; self.node = node; self.nack = nack
        self.sourceAddr = sourceAddr; self.sourcePort = sourcePort; self.sourceNode = sourceNode
    }
}

public struct Ack: Equatable, Sendable {
    public var seqNo: UInt32
    /// serf: a Vivaldi coordinate (0x01 + msgpack); nil on TCP and relayed acks.
    public var payload: [UInt8]?
    public init(seqNo: UInt32, payload: [UInt8]? = nil) { self.seqNo = seqNo; self.payload = payload }
}

public struct Nack: Equatable, Sendable {
    public var seqNo: UInt32
    public init(seqNo: UInt32) { self.seqNo = seqNo }
}

public struct Suspect: Equatable, Sendable {
    public var incarnation: UInt32
    public var node: String
    public var from: String
    public init(incarnation: UInt32, node: String, from: String) { self.incarnation = incarnation; self.node = node; self.from = from }
}

public struct Alive: Equatable, Sendable {
    public var incarnation: UInt32
    public var node: String
    public var addr: IPBytes
    public var port: UInt16
    public var meta: [UInt8]?
    /// Exactly six bytes: pmin, pmax, pcur, dmin, dmax, dcur.
    public var vsn: [UInt8]
    public init(incarnation: UInt32, node: String, addr: IPBytes, port: UInt16, meta: [UInt8]?, vsn: [UInt8]) {
        self.incarnation = incarnation; self.node = node; self.addr = addr; self.port = port; self.meta = meta; self.vsn = vsn
    }
}

public struct Dead: Equatable, Sendable {
    public var incarnation: UInt32
    public var node: String
    /// Who declares it; `from == node` is a graceful leave.
    public var from: String
    public init(incarnation: UInt32, node: String, from: String) { self.incarnation = incarnation; self.node = node; self.from = from }
}

/// memberlist's node states as numbered on the wire.
public enum NodeStateKind: Int, Equatable, Sendable {
    case alive = 0, suspect = 1, dead = 2, left = 3
}

/// One node record of a push/pull exchange (note: `Name`, not `Node`, on the wire).
public struct PushNodeState: Equatable, Sendable {
    public var name: String
    public var addr: IPBytes
    public var port: UInt16
    public var meta: [UInt8]?
    public var incarnation: UInt32
    public var state: NodeStateKind
    public var vsn: [UInt8]
    public init(name: String, addr: IPBytes, port: UInt16, meta: [UInt8]?, incarnation: UInt32, state: NodeStateKind, vsn: [UInt8]) {
        self.name = name; self.addr = addr; self.port = port; self.meta = meta; self.incarnation = incarnation; self.state = state; self.vsn = vsn
    }
}

/// The full-state exchange over TCP: header, node records, then the delegate's (serf's) state.
public struct PushPull: Equatable, Sendable {
    public var join: Bool
    public var nodes: [PushNodeState]
    public var userState: [UInt8]
    public init(join: Bool, nodes: [PushNodeState], userState: [UInt8]) { self.join = join; self.nodes = nodes; self.userState = userState }
}

/// Everything that can arrive once the wrappers (encryption, CRC, compress, compound) are off.
public enum MemberlistMessage: Equatable, Sendable {
    case ping(Ping)
    case indirectPing(IndirectPing)
    case ack(Ack)
    case nack(Nack)
    case suspect(Suspect)
    case alive(Alive)
    case dead(Dead)
    /// A serf message (`[serf type][msgpack]`), raw.
    case user([UInt8])
    /// TCP only.
    case pushPull(PushPull)
    /// TCP only: the responder's error reply.
    case err(String)
}
