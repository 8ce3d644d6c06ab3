import Wire
/// Decoding serf query filters (gossip-wire.md §9.3): type 0 = node names, type 1 = tag regex.
extension MsgPackReader {
    static func decodeStringArray(_ body: [UInt8]) throws(GossipCodecError) -> [String] {
        var reader = MsgPackReader(body)
        guard case .array(let items) = try reader.readValue() else { throw .malformed("node filter is not an array") }
        var names: [String] = []
        for item in items {
            guard case .raw(let raw) = item else { throw .malformed("node filter entry is not a string") }
            names.append(String(decoding: raw, as: UTF8.self))
        }
        return names
    }

    static func decodeTagFilter(_ body: [UInt8]) throws(GossipCodecError) -> (tag: String, expression: String) {
        var reader = MsgPackReader(body)
        guard case .map(let entries) = try reader.readValue() else { throw .malformed("tag filter is not a map") }
        var tag = "", expression = ""
        for entry in entries {
            guard case .raw(let key) = entry.key, case .raw(let value) = entry.value else { continue }
            switch String(decoding: key, as: UTF8.self) {
            case "Tag": tag = String(decoding: value, as: UTF8.self)
            case "Expr": expression = String(decoding: value, as: UTF8.self)
            default: break
            }
        }
        return (tag, expression)
    }
}
