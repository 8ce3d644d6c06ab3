import Wire

/// One KV entry, as Consul stores and returns it.
public struct KVPair: Equatable, Sendable {
    public var key: String
    public var value: [UInt8]
    public var flags: UInt64
    public var lockIndex: UInt64
    /// The session holding the lock; empty when unlocked.
    public var session: String
    public var createIndex: UInt64
    public var modifyIndex: UInt64

    public init(key: String, value: [UInt8] = [], flags: UInt64 = 0, lockIndex: UInt64 = 0, session: String = "",
                createIndex: UInt64 = 0, modifyIndex: UInt64 = 0) {
        self.key = key
        self.value = value
        self.flags = flags
        self.lockIndex = lockIndex
        self.session = session
        self.createIndex = createIndex
        self.modifyIndex = modifyIndex
    }

    /// Consul's field order: LockIndex, Key, Flags, Value, Session (omitted when empty), CreateIndex, ModifyIndex.
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("LockIndex", lockIndex)
        json.field("Key", key)
        json.field("Flags", flags)
        json.key("Value")
        if value.isEmpty { json.null() } else { json.base64(value) }
        if !session.isEmpty { json.field("Session", session) }
        json.field("CreateIndex", createIndex)
        json.field("ModifyIndex", modifyIndex)
        json.endObject()
    }

    /// Reads an entry from a `/v1/kv` response element.
    public init?(json: JSONValue) {
        guard let key = json["Key"]?.stringValue else { return nil }
        var value: [UInt8] = []
        if let encoded = json["Value"]?.stringValue {
            guard let decoded = Base64.decode(encoded) else { return nil }
            value = decoded
        }
        self.init(key: key, value: value, flags: json["Flags"]?.uint64Value ?? 0,
                  lockIndex: json["LockIndex"]?.uint64Value ?? 0, session: json["Session"]?.stringValue ?? "",
                  createIndex: json["CreateIndex"]?.uint64Value ?? 0, modifyIndex: json["ModifyIndex"]?.uint64Value ?? 0)
    }
}

/// The product's version, shared by `consul version`, `/v1/agent/self` and member tags.
public enum ConsulVersion {
    /// The Consul release whose API and CLI behaviour we follow.
    public static let version = "1.20.0"
    public static let revision = "swift"
    public static let prerelease = ""
    public static let buildDate = "2026-11-25T00:00:00Z"
    public static let protocolDefault = 2
    public static let protocolMin = 2
    public static let protocolMax = 3
}
