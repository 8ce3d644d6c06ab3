/// A prepared query (http-api.md §10.2): a stored service lookup with tag, health, metadata
/// and failover rules, executed over HTTP or DNS (`<name>.query.consul`).
public struct PreparedQuery: Equatable, Sendable {
    public var id = ""
    public var name = ""
    /// A session the query lives and dies with ("" for none).
    public var session = ""
    public var token = ""
    /// `""` or `name_prefix_match` (the query then answers every name starting with `name`).
    public var templateType = ""
    public var templateRegexp = ""
    public var removeEmptyTags = false
    public var service = ""
    public var failoverNearestN = 0
    public var failoverDatacenters: [String] = []
    public var ignoreCheckIDs: [String] = []
    public var onlyPassing = false
    public var near = ""
    /// Required tags; a leading `!` excludes instances carrying the tag.
    public var tags: [String] = []
    public var nodeMeta: [String: String] = [:]
    public var serviceMeta: [String: String] = [:]
    public var dnsTTL = ""
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0

    public init() {}

    public var isTemplate: Bool { !templateType.isEmpty }

    /// Consul's shape; `Token` is shown as `<hidden>` when set.
    public func write(to json: inout JSONWriter, revealToken: Bool = false) {
        json.beginObject()
        json.field("ID", id)
        json.field("Name", name)
        json.field("Session", session)
        json.field("Token", token.isEmpty || revealToken ? token : "<hidden>")
        json.key("Template")
        json.beginObject()
        json.field("Type", templateType)
        json.field("Regexp", templateRegexp)
        json.field("RemoveEmptyTags", removeEmptyTags)
        json.endObject()
        json.key("Service")
        json.beginObject()
        json.field("Service", service)
        json.key("Failover")
        json.beginObject()
        json.field("NearestN", failoverNearestN)
        json.key("Datacenters")
        if failoverDatacenters.isEmpty { json.null() } else { json.stringList(failoverDatacenters) }
        json.endObject()
        json.key("IgnoreCheckIDs")
        if ignoreCheckIDs.isEmpty { json.null() } else { json.stringList(ignoreCheckIDs) }
        json.field("OnlyPassing", onlyPassing)
        json.field("Near", near)
        json.key("Tags")
        if tags.isEmpty { json.null() } else { json.stringList(tags) }
        json.key("NodeMeta"); json.stringMap(nodeMeta, nullWhenEmpty: true)
        json.key("ServiceMeta"); json.stringMap(serviceMeta, nullWhenEmpty: true)
        json.endObject()
        json.key("DNS")
        json.beginObject()
        json.field("TTL", dnsTTL)
        json.endObject()
        json.key("CreateIndex"); json.uint(createIndex)
        json.key("ModifyIndex"); json.uint(modifyIndex)
        json.endObject()
    }

    /// Decodes a create/update body (case-insensitive names, as Go decodes).
    public static func decode(_ body: JSONValue) throws(DecodeFailure) -> PreparedQuery {
        guard body.objectValue != nil else {
            throw DecodeFailure("Request decode failed: json: cannot unmarshal \(body.goKind) into Go value of type structs.PreparedQuery")
        }
        let f = JSONFields(body)
        var q = PreparedQuery()
        do {
            q.id = try f.string("ID") ?? ""
            q.name = try f.string("Name") ?? ""
            q.session = try f.string("Session") ?? ""
            q.token = try f.string("Token") ?? ""
            if let t = f.object("Template") {
                q.templateType = try t.string("Type") ?? ""
                q.templateRegexp = try t.string("Regexp") ?? ""
                q.removeEmptyTags = try t.bool("RemoveEmptyTags") ?? false
            }
            if let s = f.object("Service") {
                q.service = try s.string("Service") ?? ""
                if let failover = s.object("Failover") {
                    q.failoverNearestN = try failover.int("NearestN") ?? 0
                    q.failoverDatacenters = try failover.strings("Datacenters") ?? []
                }
                q.ignoreCheckIDs = try s.strings("IgnoreCheckIDs") ?? []
                q.onlyPassing = try s.bool("OnlyPassing") ?? false
                q.near = try s.string("Near") ?? ""
                q.tags = try s.strings("Tags") ?? []
                q.nodeMeta = try s.stringMap("NodeMeta") ?? [:]
                q.serviceMeta = try s.stringMap("ServiceMeta") ?? [:]
            }
            if let dns = f.object("DNS") { q.dnsTTL = try dns.string("TTL") ?? "" }
            if let raft = f.object("RaftIndex") {
                q.createIndex = raft.raw("CreateIndex")?.uint64Value ?? 0
                q.modifyIndex = raft.raw("ModifyIndex")?.uint64Value ?? 0
            } else {
                q.createIndex = f.raw("CreateIndex")?.uint64Value ?? 0
                q.modifyIndex = f.raw("ModifyIndex")?.uint64Value ?? 0
            }
        } catch {
            throw DecodeFailure("Request decode failed: \(error)")
        }
        return q
    }
}
