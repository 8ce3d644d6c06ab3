import Wire

/// A Consul user event (`/v1/event/*`, `consul event`, watches of type `event`): a name, an
/// opaque payload and regex filters that each receiving agent applies to itself.
public struct UserEvent: Equatable, Sendable {
    /// The highest event version this agent understands (Consul's userEventMaxVersion).
    public static let versionMax = 1

    public var id: String
    public var name: String
    /// nil when the event carries no payload (rendered as JSON `null`).
    public var payload: [UInt8]?
    public var nodeFilter: String
    public var serviceFilter: String
    public var tagFilter: String
    public var version: Int
    /// The serf event clock when received; 0 in the fire response.
    public var ltime: UInt64

    public init(id: String = "", name: String, payload: [UInt8]? = nil, nodeFilter: String = "", serviceFilter: String = "",
                tagFilter: String = "", version: Int = UserEvent.versionMax, ltime: UInt64 = 0) {
        self.id = id
        self.name = name
        self.payload = payload
        self.nodeFilter = nodeFilter
        self.serviceFilter = serviceFilter
        self.tagFilter = tagFilter
        self.version = version
        self.ltime = ltime
    }

    /// Consul's JSON shape: `{"ID","Name","Payload"(base64|null),"NodeFilter","ServiceFilter","TagFilter","Version","LTime"}`.
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("ID", id)
        json.field("Name", name)
        json.key("Payload")
        if let payload, !payload.isEmpty { json.base64(payload) } else { json.null() }
        json.field("NodeFilter", nodeFilter)
        json.field("ServiceFilter", serviceFilter)
        json.field("TagFilter", tagFilter)
        json.field("Version", version)
        json.field("LTime", ltime)
        json.endObject()
    }

    /// An event as the API renders it (what `consul watch -type event` decodes).
    public init?(json: JSONValue) {
        guard let name = json["Name"]?.stringValue else { return nil }
        self.init(id: json["ID"]?.stringValue ?? "", name: name,
                  payload: json["Payload"]?.stringValue.flatMap(Base64.decode),
                  nodeFilter: json["NodeFilter"]?.stringValue ?? "", serviceFilter: json["ServiceFilter"]?.stringValue ?? "",
                  tagFilter: json["TagFilter"]?.stringValue ?? "", version: Int(json["Version"]?.int64Value ?? 0),
                  ltime: json["LTime"]?.uint64Value ?? 0)
    }

    /// The blocking index of an event list whose newest event has this ID: the XOR of the UUID's
    /// two 64-bit halves (hex digits 0–16 and 16–32 with the dashes removed). 0 for a malformed ID.
    public static func index(ofID id: String) -> UInt64 {
        let hex = Array(id.utf8.filter { $0 != UInt8(ascii: "-") })
        guard hex.count == 32 else { return 0 }
        func value(_ digits: ArraySlice<UInt8>) -> UInt64? {
            var v: UInt64 = 0
            for d in digits {
                let nibble: UInt8
                switch d {
                case 48...57: nibble = d - 48
                case 97...102: nibble = d - 87
                case 65...70: nibble = d - 55
                default: return nil
                }
                v = v << 4 | UInt64(nibble)
            }
            return v
        }
        guard let low = value(hex[0..<16]), let high = value(hex[16..<32]) else { return 0 }
        return low ^ high
    }

    /// The index `/v1/event/list` reports for these events (oldest first): 1 when empty.
    public static func listIndex(_ events: [UserEvent]) -> UInt64 {
        guard let last = events.last else { return 1 }
        return index(ofID: last.id)
    }

    /// Consul's validation before firing; the error text is the API's 500 body.
    public func validationError() -> String? {
        if name.isEmpty { return "User event missing name" }
        if !tagFilter.isEmpty && serviceFilter.isEmpty { return "Cannot provide tag filter without service filter" }
        for (what, pattern) in [("node", nodeFilter), ("service", serviceFilter), ("tag", tagFilter)] where !pattern.isEmpty {
            do { _ = try Regex(pattern) } catch { return "Invalid \(what) filter: \(error)" }
        }
        return nil
    }

    /// Whether an agent named `nodeName` with these local services (ID, name, tags) should record
    /// the event: every given filter must match (unanchored, as Go's `MatchString`); the tag
    /// filter must match a tag of a service the service filter matched.
    public func matches(nodeName: String, services: [(id: String, name: String, tags: [String])]) -> Bool {
        if !nodeFilter.isEmpty {
            guard let re = try? Regex(nodeFilter), nodeName.contains(re) else { return false }
        }
        guard !serviceFilter.isEmpty else { return true }
        guard let serviceRe = try? Regex(serviceFilter) else { return false }
        var tagRe: Regex<AnyRegexOutput>?
        if !tagFilter.isEmpty {
            guard let re = try? Regex(tagFilter) else { return false }
            tagRe = re
        }
        for service in services where service.name.contains(serviceRe) || service.id.contains(serviceRe) {
            guard let tagRe else { return true }
            if service.tags.contains(where: { $0.contains(tagRe) }) { return true }
        }
        return false
    }
}
