import Wire
/// A flat Go struct of string, []byte and integer fields in go-msgpack's encoding: how an
/// application above serf (Consul's user events) packs the payload of a user event. The
/// msgpack codec itself stays internal; this is the narrow door to it.
public enum MsgPackFlatStruct {
    public enum Field: Equatable, Sendable {
        /// A Go string or []byte (both travel as raw str).
        case raw([UInt8])
        case int(Int64)
    }

    /// A map with the fields in the given order (Go's struct order).
    public static func encode(_ fields: [(String, Field)]) -> [UInt8] {
        var w = MsgPackWriter()
        w.writeMapHeader(fields.count)
        for (name, field) in fields {
            w.writeString(name)
            switch field {
            case .raw(let bytes): w.writeRaw(bytes)
            case .int(let v): w.writeInt(v)
            }
        }
        return w.bytes
    }

    /// The map's raw and integer fields by name (others are skipped; later duplicates win).
    public static func decode(_ bytes: [UInt8]) throws(GossipCodecError) -> [String: Field] {
        var reader = MsgPackReader(bytes)
        guard case .map(let entries) = try reader.readValue() else { throw .malformed("expected a msgpack map") }
        var out: [String: Field] = [:]
        for entry in entries {
            guard case .raw(let key) = entry.key else { continue }
            let name = String(decoding: key, as: UTF8.self)
            switch entry.value {
            case .raw(let v): out[name] = .raw(v)
            case .int(let v): out[name] = .int(v)
            case .uint(let v): out[name] = .int(Int64(clamping: v))
            case .null: out[name] = .raw([])
            default: continue
            }
        }
        return out
    }
}
