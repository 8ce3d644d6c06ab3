import Wire

/// serf's messages as values (../shared/reference/gossip-wire.md §9). They travel inside
/// memberlist `user` messages and push/pull user state; bytes in SerfCodec.swift.

public struct LeaveIntent: Equatable, Sendable {
    public var ltime: UInt64
    public var node: String
    public var prune: Bool
    public init(ltime: UInt64, node: String, prune: Bool = false) { self.ltime = ltime; self.node = node; self.prune = prune }
}

public struct JoinIntent: Equatable, Sendable {
    public var ltime: UInt64
    public var node: String
    public init(ltime: UInt64, node: String) { self.ltime = ltime; self.node = node }
}

public struct UserEventMessage: Equatable, Sendable {
    public var ltime: UInt64
    public var name: String
    public var payload: [UInt8]
    /// "coalesce": a hint for handlers; carried, not interpreted.
    public var cc: Bool
    public init(ltime: UInt64, name: String, payload: [UInt8], cc: Bool = false) { self.ltime = ltime; self.name = name; self.payload = payload; self.cc = cc }
}

/// One slot of the recent-event ring carried in push/pull.
public struct UserEventSlot: Equatable, Sendable {
    public var ltime: UInt64
    public var events: [(name: String, payload: [UInt8])]
    public init(ltime: UInt64, events: [(name: String, payload: [UInt8])]) { self.ltime = ltime; self.events = events }
    public static func == (a: UserEventSlot, b: UserEventSlot) -> Bool {
        a.ltime == b.ltime && a.events.count == b.events.count
            && zip(a.events, b.events).allSatisfy { $0.name == $1.name && $0.payload == $1.payload }
    }
}

/// serf's part of a push/pull exchange.
public struct SerfPushPull: Equatable, Sendable {
    public var ltime: UInt64
    public var statusLTimes: [String: UInt64]
    public var leftMembers: [String]
    public var eventLTime: UInt64
    /// Ring of recent events; nil = empty slot.
    public var events: [UserEventSlot?]
    public var queryLTime: UInt64
    public init(ltime: UInt64, statusLTimes: [String: UInt64], leftMembers: [String], eventLTime: UInt64, events: [UserEventSlot?], queryLTime: UInt64) {
        self.ltime = ltime; self.statusLTimes = statusLTimes; self.leftMembers = leftMembers
        self.eventLTime = eventLTime; self.events = events; self.queryLTime = queryLTime
    }
}

public struct QueryMessage: Equatable, Sendable {
    public var ltime: UInt64
    public var id: UInt32
    public var addr: IPBytes
    public var port: UInt16
    public var sourceNode: String
    /// Raw `[filter type][msgpack]` entries.
    public var filters: [[UInt8]]
    /// Bit 0: ack requested; bit 1: do not re-broadcast.
    public var flags: UInt32
    public var relayFactor: UInt8
    /// Nanoseconds.
    public var timeout: Int64
    public var name: String
    public var payload: [UInt8]
    public init(ltime: UInt64, id: UInt32, addr: IPBytes, port: UInt16, sourceNode: String, filters: [[UInt8]], flags: UInt32,
                relayFactor: UInt8, timeout: Int64, name: String, payload: [UInt8]) {
        self.ltime = ltime; self.id = id; self.addr = addr; self.port = port; self.sourceNode = sourceNode; self.filters = filters
        self.flags = flags; self.relayFactor = relayFactor; self.timeout = timeout; self.name = name; self.payload = payload
    }
}

public struct QueryResponseMessage: Equatable, Sendable {
    public var ltime: UInt64
    public var id: UInt32
    public var from: String
    /// Bit 0: this is an ack, not a response.
    public var flags: UInt32
    public var payload: [UInt8]
    public init(ltime: UInt64, id: UInt32, from: String, flags: UInt32, payload: [UInt8]) {
        self.ltime = ltime; self.id = id; self.from = from; self.flags = flags; self.payload = payload
    }
}

public enum SerfMessage: Equatable, Sendable {
    case leave(LeaveIntent)
    case join(JoinIntent)
    case pushPull(SerfPushPull)
    case userEvent(UserEventMessage)
    case query(QueryMessage)
    case queryResponse(QueryResponseMessage)
    /// Forward `message` (a complete serf message, type byte first) to `destination`.
    case relay(destinationAddr: IPBytes, destinationPort: UInt16, destinationName: String, message: [UInt8])
}

/// A Vivaldi network coordinate as carried in ack payloads (§9.7).
public struct Coordinate: Equatable, Sendable {
    public var vec: [Double]
    public var error: Double
    public var adjustment: Double
    public var height: Double
    public init(vec: [Double] = Array(repeating: 0, count: 8), error: Double = 1.5, adjustment: Double = 0, height: Double = 1.0e-5) {
        self.vec = vec; self.error = error; self.adjustment = adjustment; self.height = height
    }
}
