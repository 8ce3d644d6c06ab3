/// A session: a node's claim that it is alive, held by locks on KV keys (http-api.md §7).
public struct Session: Equatable, Sendable {
    public enum Behavior: String, Sendable {
        /// Locks held by an invalidated session are released (values kept).
        case release
        /// Keys locked by an invalidated session are deleted.
        case delete
    }

    public struct ServiceCheck: Equatable, Sendable {
        public var id: String
        public var namespace: String
        public init(id: String, namespace: String = "") {
            self.id = id
            self.namespace = namespace
        }
    }

    public var id = ""
    public var name = ""
    public var node = ""
    /// Nanoseconds during which a lock released by invalidation cannot be re-acquired.
    public var lockDelay: UInt64 = 15_000_000_000
    public var behavior = Behavior.release
    /// As the client gave it (`"15s"`); empty for no TTL.
    public var ttl = ""
    public var nodeChecks: [String] = ["serfHealth"]
    public var serviceChecks: [ServiceCheck] = []
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0

    public init() {}

    /// Longest lock-delay a server applies.
    public static let maxLockDelay: UInt64 = 60_000_000_000
    public static let minTTL: Int64 = 10 * GoDuration.second
    public static let maxTTL: Int64 = 24 * GoDuration.hour

    /// The TTL in nanoseconds (0 when none or unparsable — validated at create).
    public var ttlNanoseconds: UInt64 {
        guard !ttl.isEmpty, let n = GoDuration.parse(ttl), n > 0 else { return 0 }
        return UInt64(n)
    }

    /// Consul's field order.
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("ID", id)
        json.field("Name", name)
        json.field("Node", node)
        json.field("LockDelay", lockDelay)
        json.field("Behavior", behavior.rawValue)
        json.field("TTL", ttl)
        json.key("NodeChecks")
        if nodeChecks.isEmpty { json.null() } else { json.stringList(nodeChecks) }
        json.key("ServiceChecks")
        if serviceChecks.isEmpty {
            json.null()
        } else {
            json.beginArray()
            for check in serviceChecks {
                json.beginObject()
                json.field("ID", check.id)
                json.field("Namespace", check.namespace)
                json.endObject()
            }
            json.endArray()
        }
        json.field("CreateIndex", createIndex)
        json.field("ModifyIndex", modifyIndex)
        json.endObject()
    }

    /// Reads a session from an API response element (the CLI's `consul lock` and tests).
    public init?(json: JSONValue) {
        guard let id = json["ID"]?.stringValue else { return nil }
        self.id = id
        name = json["Name"]?.stringValue ?? ""
        node = json["Node"]?.stringValue ?? ""
        lockDelay = json["LockDelay"]?.uint64Value ?? 0
        behavior = Behavior(rawValue: json["Behavior"]?.stringValue ?? "") ?? .release
        ttl = json["TTL"]?.stringValue ?? ""
        nodeChecks = json["NodeChecks"]?.arrayValue?.compactMap(\.stringValue) ?? []
        serviceChecks = json["ServiceChecks"]?.arrayValue?.compactMap { item in
            item["ID"]?.stringValue.map { ServiceCheck(id: $0, namespace: item["Namespace"]?.stringValue ?? "") }
        } ?? []
        createIndex = json["CreateIndex"]?.uint64Value ?? 0
        modifyIndex = json["ModifyIndex"]?.uint64Value ?? 0
    }
}

extension Session {
    /// Decodes a `/v1/session/create` body (case-insensitive fields; Consul's defaults and
    /// validation texts). `defaultNode` is the agent's node name.
    /// `minTTL`: the server's `session_ttl_min` (Consul's default 10s).
    public static func decodeCreate(_ body: JSONValue?, defaultNode: String, minTTL: Int64 = Session.minTTL) throws(DecodeFailure) -> Session {
        var s = Session()
        s.node = defaultNode
        guard let body, !body.isNull else { return s }
        guard body.objectValue != nil else { throw DecodeFailure("Request decode failed: json: cannot unmarshal into Go value of type structs.Session") }
        let f = JSONFields(body)
        do {
            if let name = try f.string("Name") { s.name = name }
            if let node = try f.string("Node"), !node.isEmpty { s.node = node }
        } catch { throw DecodeFailure("Request decode failed: \(error)") }
        if let raw = f.raw("LockDelay") {
            var nanos: Int64
            if let n = raw.int64Value {
                nanos = n
            } else if let text = raw.stringValue {
                guard let n = GoDuration.parse(text) else { throw DecodeFailure("Request decode failed: time: invalid duration \(quoted(text))") }
                nanos = n
            } else {
                throw DecodeFailure("Request decode failed: json: cannot unmarshal into field LockDelay of type time.Duration")
            }
            // Consul's rule: a bare number below 1000 means seconds.
            if nanos < 1000 { nanos *= GoDuration.second }
            s.lockDelay = UInt64(max(0, nanos))
        }
        if let raw = f.raw("Behavior") {
            guard let text = raw.stringValue else { throw DecodeFailure("Request decode failed: json: cannot unmarshal into field Behavior of type string") }
            switch text {
            case "": break
            case "release": s.behavior = .release
            case "delete": s.behavior = .delete
            default: throw DecodeFailure("Invalid Behavior setting '\(text)'")
            }
        }
        if let raw = f.raw("TTL") {
            guard let text = raw.stringValue else { throw DecodeFailure("Request decode failed: json: cannot unmarshal into field TTL of type string") }
            if !text.isEmpty {
                guard let n = GoDuration.parse(text) else { throw DecodeFailure("Session TTL '\(text)' invalid: time: invalid duration \(quoted(text))") }
                if n != 0 && (n < minTTL || n > Session.maxTTL) {
                    throw DecodeFailure("Invalid Session TTL '\(n)', must be between [\(GoDuration.format(minTTL))=24h0m0s]")
                }
                s.ttl = n == 0 ? "" : text
            }
        }
        // An explicit list (even empty) replaces the serfHealth default.
        do {
            if let checks = try f.strings("NodeChecks") { s.nodeChecks = checks }
            else if let checks = try f.strings("Checks") { s.nodeChecks = checks }
        } catch { throw DecodeFailure("Request decode failed: \(error)") }
        if let raw = f.raw("ServiceChecks") {
            guard let items = raw.arrayValue else { throw DecodeFailure("Request decode failed: json: cannot unmarshal into field ServiceChecks") }
            for item in items {
                let g = JSONFields(item)
                guard let id = try? g.string("ID"), !id.isEmpty else { throw DecodeFailure("Request decode failed: service check without ID") }
                s.serviceChecks.append(ServiceCheck(id: id, namespace: (try? g.string("Namespace")) ?? ""))
            }
        }
        return s
    }

    private static func quoted(_ s: String) -> String { "\"" + s + "\"" }
}
