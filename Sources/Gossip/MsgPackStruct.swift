import Wire

/// Gossip reads msgpack with Wire's codec, failing in its own error type.
extension GossipCodecError: MsgPackDecodeFailure {}
typealias MsgPackReader = Wire.MsgPackReader<GossipCodecError>

// MARK: - Reading Go structs

/// A msgpack map read as a Go struct: fields looked up by exact key, unknown keys ignored, missing
/// fields read as Go's zero value. `what` names the struct in error messages.
struct MsgPackStruct {
    let what: String
    private let entries: [MsgPackEntry]

    init(_ value: MsgPackValue, what: String) throws(GossipCodecError) {
        guard case .map(let entries) = value else {
            throw .malformed("\(what): expected a msgpack map, found \(value.kindName)")
        }
        self.what = what
        self.entries = entries
    }

    /// The field's value; when a key repeats, the last one wins, as in Go.
    func field(_ name: String) -> MsgPackValue? {
        let key = Array(name.utf8)
        for entry in entries.reversed() {
            if case .raw(let k) = entry.key, k == key { return entry.value }
        }
        return nil
    }

    func uint64(_ name: String) throws(GossipCodecError) -> UInt64 {
        guard let v = field(name) else { return 0 }
        return try v.asUInt64(field: "\(what).\(name)")
    }

    func uint<T: FixedWidthInteger & UnsignedInteger>(_ name: String, as: T.Type = T.self) throws(GossipCodecError) -> T {
        let v = try uint64(name)
        guard let narrow = T(exactly: v) else { throw .malformed("\(what).\(name): \(v) overflows \(T.self)") }
        return narrow
    }

    func int64(_ name: String) throws(GossipCodecError) -> Int64 {
        guard let v = field(name) else { return 0 }
        switch v {
        case .null: return 0
        case .int(let i): return i
        case .uint(let u):
            guard let i = Int64(exactly: u) else { throw .malformed("\(what).\(name): \(u) overflows Int64") }
            return i
        case .bool(let b): return b ? 1 : 0
        default: throw .malformed("\(what).\(name): expected an integer, found \(v.kindName)")
        }
    }

    func bool(_ name: String) throws(GossipCodecError) -> Bool {
        guard let v = field(name) else { return false }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .uint(let u) where u <= 1: return u == 1
        case .int(let i) where i == 0 || i == 1: return i == 1
        default: throw .malformed("\(what).\(name): expected a bool, found \(v.kindName)")
        }
    }

    func float64(_ name: String) throws(GossipCodecError) -> Double {
        guard let v = field(name) else { return 0 }
        return try v.asFloat64(field: "\(what).\(name)")
    }

    /// A Go []byte or net.IP: nil when absent or `c0`.
    func optionalBytes(_ name: String) throws(GossipCodecError) -> [UInt8]? {
        guard let v = field(name) else { return nil }
        return try v.asOptionalBytes(field: "\(what).\(name)")
    }

    func bytes(_ name: String) throws(GossipCodecError) -> [UInt8] {
        try optionalBytes(name) ?? []
    }

    func string(_ name: String) throws(GossipCodecError) -> String {
        guard let v = field(name) else { return "" }
        return try v.asString(field: "\(what).\(name)")
    }

    /// A Go slice: nil (absent or `c0`) reads as empty.
    func array(_ name: String) throws(GossipCodecError) -> [MsgPackValue] {
        guard let v = field(name) else { return [] }
        switch v {
        case .null: return []
        case .array(let items): return items
        default: throw .malformed("\(what).\(name): expected an array, found \(v.kindName)")
        }
    }

    func map(_ name: String) throws(GossipCodecError) -> [MsgPackEntry] {
        guard let v = field(name) else { return [] }
        switch v {
        case .null: return []
        case .map(let entries): return entries
        default: throw .malformed("\(what).\(name): expected a map, found \(v.kindName)")
        }
    }
}

extension MsgPackValue {
    var kindName: String {
        switch self {
        case .null: "nil"
        case .bool: "bool"
        case .int, .uint: "integer"
        case .float: "float"
        case .raw: "string"
        case .array: "array"
        case .map: "map"
        case .ext: "extension"
        }
    }

    func asOptionalBytes(field: String) throws(GossipCodecError) -> [UInt8]? {
        switch self {
        case .null: return nil
        case .raw(let b): return b
        case .array(let items):
            // go-msgpack also fills a []byte from an array of small integers.
            var out: [UInt8] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard case .uint(let u) = item, let byte = UInt8(exactly: u) else {
                    throw .malformed("\(field): array element is not a byte")
                }
                out.append(byte)
            }
            return out
        default: throw .malformed("\(field): expected bytes, found \(kindName)")
        }
    }

    func asUInt64(field: String) throws(GossipCodecError) -> UInt64 {
        switch self {
        case .null: return 0
        case .uint(let u): return u
        case .int(let i) where i >= 0: return UInt64(i)
        case .int(let i): throw .malformed("\(field): negative value \(i) for an unsigned field")
        case .bool(let b): return b ? 1 : 0
        default: throw .malformed("\(field): expected an unsigned integer, found \(kindName)")
        }
    }

    /// Go strings are byte strings; invalid UTF-8 is repaired rather than rejected.
    func asString(field: String) throws(GossipCodecError) -> String {
        switch self {
        case .null: return ""
        case .raw(let b): return String(decoding: b, as: UTF8.self)
        default: throw .malformed("\(field): expected a string, found \(kindName)")
        }
    }

    func asFloat64(field: String) throws(GossipCodecError) -> Double {
        switch self {
        case .null: return 0
        case .float(let d): return d
        case .uint(let u): return Double(u)
        case .int(let i): return Double(i)
        default: throw .malformed("\(field): expected a float, found \(kindName)")
        }
    }
}
