import ConsulAPI
import Gossip

/// How a Consul user event rides in a serf user event: the serf event is named
/// `consul:event:<name>` and its payload is the event as a msgpack map with Consul's codec
/// names (`ID`, `n`, `p`, `nf`, `sf`, `tf`, `v`; empty optional fields omitted). LTime is
/// not encoded: the receiver takes serf's Lamport time.
enum UserEventWire {
    static let serfNamePrefix = "consul:event:"

    static func serfName(_ name: String) -> String { serfNamePrefix + name }

    static func encode(_ e: UserEvent) -> [UInt8] {
        var fields: [(String, MsgPackFlatStruct.Field)] = [("ID", .raw(Array(e.id.utf8))), ("n", .raw(Array(e.name.utf8)))]
        if let payload = e.payload, !payload.isEmpty { fields.append(("p", .raw(payload))) }
        if !e.nodeFilter.isEmpty { fields.append(("nf", .raw(Array(e.nodeFilter.utf8)))) }
        if !e.serviceFilter.isEmpty { fields.append(("sf", .raw(Array(e.serviceFilter.utf8)))) }
        if !e.tagFilter.isEmpty { fields.append(("tf", .raw(Array(e.tagFilter.utf8)))) }
        fields.append(("v", .int(Int64(e.version))))
        return MsgPackFlatStruct.encode(fields)
    }

    /// The event inside a serf user event, or nil when the serf event is not a Consul user
    /// event (other prefixes) or does not decode.
    static func decode(serfName: String, payload: [UInt8], ltime: UInt64) -> UserEvent? {
        guard serfName.hasPrefix(serfNamePrefix), let fields = try? MsgPackFlatStruct.decode(payload) else { return nil }
        func text(_ key: String) -> String {
            if case .raw(let bytes) = fields[key] { return String(decoding: bytes, as: UTF8.self) }
            return ""
        }
        var payloadBytes: [UInt8]?
        if case .raw(let bytes) = fields["p"], !bytes.isEmpty { payloadBytes = bytes }
        var version = 0
        if case .int(let v) = fields["v"] { version = Int(clamping: v) }
        let name = text("n").isEmpty ? String(serfName.dropFirst(serfNamePrefix.count)) : text("n")
        return UserEvent(id: text("ID"), name: name, payload: payloadBytes, nodeFilter: text("nf"),
                         serviceFilter: text("sf"), tagFilter: text("tf"), version: version, ltime: ltime)
    }
}
