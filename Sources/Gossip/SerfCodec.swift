import Wire
/// serf 0.9.4's bytes (../shared/reference/gossip-wire.md §9): its messages (carried in memberlist
/// user messages and push/pull user state), node tags in alive Meta, and the Vivaldi coordinate
/// in ack payloads. Maps are written with sorted keys, as Go writes structs; Go writes its own
/// maps in random order, so sorting them too only makes our bytes reproducible.

public enum SerfCodec {
    /// serf's message type bytes (§9.2).
    enum MessageType: UInt8 {
        case leave = 0, join = 1, pushPull = 2, userEvent = 3, query = 4, queryResponse = 5
        case conflictResponse = 6, keyRequest = 7, keyResponse = 8, relay = 9
    }

    /// The first byte of node Meta that holds msgpack tags (§9.5).
    static let tagMagicByte: UInt8 = 0xFF
    /// The first byte of an ack payload that holds a coordinate (§9.7).
    static let coordinatePayloadVersion: UInt8 = 1
    /// serf's Vivaldi dimensionality; a coordinate of another size is rejected, as serf does.
    static let coordinateDimensions = 8

    // MARK: Messages

    public static func encode(_ message: SerfMessage) -> [UInt8] {
        var w = MsgPackWriter()
        switch message {
        case .leave(let m):
            w.bytes.append(MessageType.leave.rawValue)
            w.writeMapHeader(3)
            w.writeString("LTime"); w.writeUInt(m.ltime)
            w.writeString("Node"); w.writeString(m.node)
            w.writeString("Prune"); w.writeBool(m.prune)
        case .join(let m):
            w.bytes.append(MessageType.join.rawValue)
            w.writeMapHeader(2)
            w.writeString("LTime"); w.writeUInt(m.ltime)
            w.writeString("Node"); w.writeString(m.node)
        case .pushPull(let m):
            w.bytes.append(MessageType.pushPull.rawValue)
            w.writeMapHeader(6)
            w.writeString("EventLTime"); w.writeUInt(m.eventLTime)
            w.writeString("Events"); w.writeArrayHeader(m.events.count)
            for slot in m.events {
                guard let slot else { w.writeNil(); continue }
                w.writeMapHeader(2)
                w.writeString("Events"); w.writeArrayHeader(slot.events.count)
                for event in slot.events {
                    w.writeMapHeader(2)
                    w.writeString("Name"); w.writeString(event.name)
                    w.writeString("Payload"); w.writeRaw(event.payload)
                }
                w.writeString("LTime"); w.writeUInt(slot.ltime)
            }
            w.writeString("LTime"); w.writeUInt(m.ltime)
            // An array even when empty (`90`): serf 0.9.4 never sends nil here.
            w.writeString("LeftMembers"); w.writeArrayHeader(m.leftMembers.count)
            for name in m.leftMembers { w.writeString(name) }
            w.writeString("QueryLTime"); w.writeUInt(m.queryLTime)
            w.writeString("StatusLTimes"); w.writeMapHeader(m.statusLTimes.count)
            for (name, ltime) in m.statusLTimes.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                w.writeString(name); w.writeUInt(ltime)
            }
        case .userEvent(let m):
            w.bytes.append(MessageType.userEvent.rawValue)
            w.writeMapHeader(4)
            w.writeString("CC"); w.writeBool(m.cc)
            w.writeString("LTime"); w.writeUInt(m.ltime)
            w.writeString("Name"); w.writeString(m.name)
            w.writeString("Payload"); w.writeRaw(m.payload)
        case .query(let m):
            w.bytes.append(MessageType.query.rawValue)
            w.writeMapHeader(11)
            w.writeString("Addr"); w.writeRaw(m.addr)
            // Go's nil slice when there are no filters.
            w.writeString("Filters")
            if m.filters.isEmpty { w.writeNil() } else {
                w.writeArrayHeader(m.filters.count)
                for filter in m.filters { w.writeRaw(filter) }
            }
            w.writeString("Flags"); w.writeUInt(UInt64(m.flags))
            w.writeString("ID"); w.writeUInt(UInt64(m.id))
            w.writeString("LTime"); w.writeUInt(m.ltime)
            w.writeString("Name"); w.writeString(m.name)
            w.writeString("Payload"); w.writeRaw(m.payload)
            w.writeString("Port"); w.writeUInt(UInt64(m.port))
            w.writeString("RelayFactor"); w.writeUInt(UInt64(m.relayFactor))
            w.writeString("SourceNode"); w.writeString(m.sourceNode)
            w.writeString("Timeout"); w.writeInt(m.timeout)
        case .queryResponse(let m):
            w.bytes.append(MessageType.queryResponse.rawValue)
            w.writeMapHeader(5)
            w.writeString("Flags"); w.writeUInt(UInt64(m.flags))
            w.writeString("From"); w.writeString(m.from)
            w.writeString("ID"); w.writeUInt(UInt64(m.id))
            w.writeString("LTime"); w.writeUInt(m.ltime)
            w.writeString("Payload"); w.writeRaw(m.payload)
        case .relay(let addr, let port, let name, let inner):
            w.bytes.append(MessageType.relay.rawValue)
            w.writeMapHeader(2)
            w.writeString("DestAddr"); w.writeMapHeader(3)
            w.writeString("IP"); w.writeRaw(addr)
            w.writeString("Port"); w.writeUInt(UInt64(port))
            w.writeString("Zone"); w.writeString("")
            w.writeString("DestName"); w.writeString(name)
            w.bytes.append(contentsOf: inner)
        }
        return w.bytes
    }

    /// One serf message, type byte first. Types serf never sends on their own (conflict and key
    /// payloads, which live inside query payloads) are `unknownType`.
    public static func decode(_ bytes: [UInt8]) throws(GossipCodecError) -> SerfMessage {
        guard let typeByte = bytes.first else { throw .truncated }
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        var reader = MsgPackReader(bytes, from: 1)
        switch type {
        case .leave:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf leave")
            return .leave(LeaveIntent(ltime: try f.uint64("LTime"), node: try f.string("Node"), prune: try f.bool("Prune")))
        case .join:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf join")
            return .join(JoinIntent(ltime: try f.uint64("LTime"), node: try f.string("Node")))
        case .pushPull:
            return .pushPull(try decodePushPull(try reader.readValue()))
        case .userEvent:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf user event")
            return .userEvent(UserEventMessage(ltime: try f.uint64("LTime"), name: try f.string("Name"),
                                               payload: try f.bytes("Payload"), cc: try f.bool("CC")))
        case .query:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf query")
            var filters: [[UInt8]] = []
            for (i, item) in try f.array("Filters").enumerated() {
                filters.append(try item.asOptionalBytes(field: "serf query.Filters[\(i)]") ?? [])
            }
            return .query(QueryMessage(
                ltime: try f.uint64("LTime"), id: try f.uint("ID"), addr: try f.bytes("Addr"), port: try f.uint("Port"),
                sourceNode: try f.string("SourceNode"), filters: filters, flags: try f.uint("Flags"),
                relayFactor: try f.uint("RelayFactor"), timeout: try f.int64("Timeout"), name: try f.string("Name"),
                payload: try f.bytes("Payload")))
        case .queryResponse:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf query response")
            return .queryResponse(QueryResponseMessage(ltime: try f.uint64("LTime"), id: try f.uint("ID"), from: try f.string("From"),
                                                       flags: try f.uint("Flags"), payload: try f.bytes("Payload")))
        case .relay:
            let f = try MsgPackStruct(try reader.readValue(), what: "serf relay")
            let destination = try MsgPackStruct(f.field("DestAddr") ?? .map([]), what: "serf relay.DestAddr")
            let port = try destination.int64("Port")
            guard let port16 = UInt16(exactly: port) else { throw .malformed("serf relay.DestAddr.Port: \(port) is not a port") }
            let inner = Array(bytes[reader.position...])
            guard !inner.isEmpty else { throw .malformed("serf relay carries no message") }
            return .relay(destinationAddr: try destination.bytes("IP"), destinationPort: port16,
                          destinationName: try f.string("DestName"), message: inner)
        case .conflictResponse, .keyRequest, .keyResponse:
            throw .unknownType(typeByte)
        }
    }

    private static func decodePushPull(_ value: MsgPackValue) throws(GossipCodecError) -> SerfPushPull {
        let f = try MsgPackStruct(value, what: "serf pushPull")
        var events: [UserEventSlot?] = []
        let slots = try f.array("Events")
        events.reserveCapacity(slots.count)
        for (i, slotValue) in slots.enumerated() {
            if slotValue == .null { events.append(nil); continue }
            let slot = try MsgPackStruct(slotValue, what: "serf pushPull.Events[\(i)]")
            var slotEvents: [(name: String, payload: [UInt8])] = []
            for (j, eventValue) in try slot.array("Events").enumerated() {
                let event = try MsgPackStruct(eventValue, what: "serf pushPull.Events[\(i)].Events[\(j)]")
                slotEvents.append((try event.string("Name"), try event.bytes("Payload")))
            }
            events.append(UserEventSlot(ltime: try slot.uint64("LTime"), events: slotEvents))
        }
        var leftMembers: [String] = []
        for (i, item) in try f.array("LeftMembers").enumerated() {
            leftMembers.append(try item.asString(field: "serf pushPull.LeftMembers[\(i)]"))
        }
        var statusLTimes: [String: UInt64] = [:]
        for entry in try f.map("StatusLTimes") {
            let name = try entry.key.asString(field: "serf pushPull.StatusLTimes key")
            statusLTimes[name] = try entry.value.asUInt64(field: "serf pushPull.StatusLTimes[\(name)]")
        }
        return SerfPushPull(ltime: try f.uint64("LTime"), statusLTimes: statusLTimes, leftMembers: leftMembers,
                            eventLTime: try f.uint64("EventLTime"), events: events, queryLTime: try f.uint64("QueryLTime"))
    }

    // MARK: Tags

    /// `0xFF` + a map of the tags (`ff 80` when there are none).
    public static func encodeTags(_ tags: [String: String]) -> [UInt8] {
        var w = MsgPackWriter()
        w.bytes.append(tagMagicByte)
        w.writeMapHeader(tags.count)
        for (key, value) in tags.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            w.writeString(key); w.writeString(value)
        }
        return w.bytes
    }

    /// serf's decodeTags: Meta not starting with `0xFF` (empty included) is a bare role name from
    /// serf protocol < 3; a map that fails part way yields the tags read before the failure.
    public static func decodeTags(_ meta: [UInt8]?) -> [String: String] {
        let meta = meta ?? []
        guard meta.first == tagMagicByte else { return ["role": String(decoding: meta, as: UTF8.self)] }
        var tags: [String: String] = [:]
        var reader = MsgPackReader(meta, from: 1)
        guard let count = try? reader.readMapHeader() else { return tags }
        for _ in 0..<count {
            guard let key = try? reader.readValue(), let value = try? reader.readValue(),
                  let keyText = try? key.asString(field: "tag key"), let valueText = try? value.asString(field: "tag value")
            else { break }
            tags[keyText] = valueText
        }
        return tags
    }

    // MARK: Coordinates

    /// `0x01` + `{Adjustment, Error, Height, Vec}`, every float as `cb`.
    public static func encodeCoordinatePayload(_ c: Coordinate) -> [UInt8] {
        var w = MsgPackWriter(reservingCapacity: 48 + 9 * c.vec.count)
        w.bytes.append(coordinatePayloadVersion)
        w.writeMapHeader(4)
        w.writeString("Adjustment"); w.writeFloat64(c.adjustment)
        w.writeString("Error"); w.writeFloat64(c.error)
        w.writeString("Height"); w.writeFloat64(c.height)
        w.writeString("Vec"); w.writeArrayHeader(c.vec.count)
        for x in c.vec { w.writeFloat64(x) }
        return w.bytes
    }

    public static func decodeCoordinatePayload(_ bytes: [UInt8]) throws(GossipCodecError) -> Coordinate {
        guard let version = bytes.first else { throw .truncated }
        guard version == coordinatePayloadVersion else { throw .unsupported("ping payload version \(version)") }
        var reader = MsgPackReader(bytes, from: 1)
        let f = try MsgPackStruct(try reader.readValue(), what: "coordinate")
        var vec: [Double] = []
        for (i, item) in try f.array("Vec").enumerated() {
            vec.append(try item.asFloat64(field: "coordinate.Vec[\(i)]"))
        }
        guard vec.count == coordinateDimensions else {
            throw .malformed("coordinate has \(vec.count) dimensions, not \(coordinateDimensions)")
        }
        let c = Coordinate(vec: vec, error: try f.float64("Error"), adjustment: try f.float64("Adjustment"),
                           height: try f.float64("Height"))
        guard c.vec.allSatisfy(\.isFinite), c.error.isFinite, c.adjustment.isFinite, c.height.isFinite else {
            throw .malformed("coordinate holds NaN or infinity")
        }
        return c
    }
}
