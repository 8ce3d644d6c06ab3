/// Consul's JSON shapes for catalog values (field order as Consul emits; Go sorts map keys).
extension JSONWriter {
    public mutating func stringMap(_ map: [String: String], nullWhenEmpty: Bool = false) {
        if map.isEmpty && nullWhenEmpty { null(); return }
        beginObject()
        for key in map.keys.sorted() { field(key, map[key]!) }
        endObject()
    }

    public mutating func stringList(_ list: [String]) {
        beginArray()
        for s in list { string(s) }
        endArray()
    }
}

extension CatalogNode {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        writeFields(to: &json)
        json.endObject()
    }

    func writeFields(to json: inout JSONWriter) {
        json.field("ID", id)
        json.field("Node", node)
        json.field("Address", address)
        json.field("Datacenter", datacenter)
        json.key("TaggedAddresses"); json.stringMap(taggedAddresses, nullWhenEmpty: true)
        json.key("Meta"); json.stringMap(meta, nullWhenEmpty: true)
        json.field("CreateIndex", createIndex)
        json.field("ModifyIndex", modifyIndex)
    }
}

extension NodeService {
    /// The nodeService shape (catalog/node, health/service `Service`, agent/services adds fields).
    public func write(to json: inout JSONWriter, agentView: Bool = false, datacenter: String = "",
                      contentHash: String? = nil) {
        json.beginObject()
        if !kind.isEmpty { json.field("Kind", kind) }
        json.field("ID", id)
        json.field("Service", service)
        json.key("Tags"); json.stringList(tags)
        json.key("Meta"); json.stringMap(meta)
        json.field("Port", port)
        json.field("Address", address)
        if !taggedAddresses.isEmpty { json.key("TaggedAddresses"); writeTaggedAddresses(&json) }
        json.key("Weights")
        json.beginObject()
        json.field("Passing", max(1, weightsPassing))
        json.field("Warning", weightsWarning)
        json.endObject()
        json.field("EnableTagOverride", enableTagOverride)
        if !proxyDestination.isEmpty { json.key("Proxy"); writeProxy(&json) }
        if connectNative { json.key("Connect"); writeConnect(&json) }
        if let locality { json.key("Locality"); ServiceLocality.write(locality, &json) }
        if agentView {
            json.field("Datacenter", datacenter)
            if let contentHash { json.field("ContentHash", contentHash) }
        } else {
            json.field("CreateIndex", createIndex)
            json.field("ModifyIndex", modifyIndex)
        }
        json.endObject()
    }

    /// `agent/service/<id>`'s `ContentHash`: FNV-1a 64 over the compact agent-view JSON
    /// (without the hash), as 16 hex digits. Stable for identical content.
    public func agentContentHash(datacenter: String) -> String {
        var w = JSONWriter()
        write(to: &w, agentView: true, datacenter: datacenter)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in w.bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    func writeTaggedAddresses(_ json: inout JSONWriter) {
        json.beginObject()
        for key in taggedAddresses.keys.sorted() {
            let a = taggedAddresses[key]!
            json.key(key)
            json.beginObject()
            json.field("Address", a.address)
            json.field("Port", a.port)
            json.endObject()
        }
        json.endObject()
    }

    func writeProxy(_ json: inout JSONWriter) {
        json.beginObject()
        if !proxyDestination.isEmpty { json.field("DestinationServiceName", proxyDestination) }
        json.key("Expose"); json.beginObject(); json.endObject()
        json.endObject()
    }

    func writeConnect(_ json: inout JSONWriter) {
        json.beginObject()
        if connectNative { json.field("Native", true) }
        json.endObject()
    }

    /// The serviceNode shape of `/v1/catalog/service/<name>`: node fields, then Service* fields.
    public func writeServiceNode(node n: CatalogNode, to json: inout JSONWriter) {
        json.beginObject()
        json.field("ID", n.id)
        json.field("Node", n.node)
        json.field("Address", n.address)
        json.field("Datacenter", n.datacenter)
        json.key("TaggedAddresses"); json.stringMap(n.taggedAddresses, nullWhenEmpty: true)
        json.key("NodeMeta"); json.stringMap(n.meta, nullWhenEmpty: true)
        json.field("ServiceKind", kind)
        json.field("ServiceID", id)
        json.field("ServiceName", service)
        json.key("ServiceTags"); json.stringList(tags)
        json.field("ServiceAddress", address)
        if !taggedAddresses.isEmpty { json.key("ServiceTaggedAddresses"); writeTaggedAddresses(&json) }
        json.key("ServiceWeights")
        json.beginObject()
        json.field("Passing", max(1, weightsPassing))
        json.field("Warning", weightsWarning)
        json.endObject()
        json.key("ServiceMeta"); json.stringMap(meta)
        json.field("ServicePort", port)
        json.field("ServiceSocketPath", "")
        json.field("ServiceEnableTagOverride", enableTagOverride)
        json.key("ServiceProxy"); writeProxy(&json)
        json.key("ServiceConnect"); writeConnect(&json)
        json.key("ServiceLocality"); ServiceLocality.write(locality, &json)
        json.field("CreateIndex", createIndex)
        json.field("ModifyIndex", modifyIndex)
        json.endObject()
    }
}

extension ServiceLocality {
    /// `{"Region":…,"Zone":…}`, or `null` when unset.
    static func write(_ locality: ServiceLocality?, _ json: inout JSONWriter) {
        guard let locality else { return json.null() }
        json.beginObject()
        json.field("Region", locality.region)
        json.field("Zone", locality.zone)
        json.endObject()
    }
}

extension HealthCheck {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("Node", node)
        json.field("CheckID", checkID)
        json.field("Name", name)
        json.field("Status", status)
        json.field("Notes", notes)
        json.field("Output", output)
        json.field("ServiceID", serviceID)
        json.field("ServiceName", serviceName)
        json.key("ServiceTags"); json.stringList(serviceTags)
        json.field("Type", type)
        json.field("Interval", interval)
        json.field("Timeout", timeout)
        json.field("ExposedPort", 0)
        json.key("Definition"); json.stringMap(definition)
        json.field("CreateIndex", createIndex)
        json.field("ModifyIndex", modifyIndex)
        json.endObject()
    }
}

extension RegisterRequest {
    /// The request as JSON that `decode` reads back (the Raft log form of a registration).
    public func encodedJSON() -> [UInt8] {
        var json = JSONWriter(reserve: 512)
        json.beginObject()
        json.field("ID", node.id)
        json.field("Node", node.node)
        json.field("Address", node.address)
        json.field("Datacenter", node.datacenter)
        json.key("TaggedAddresses"); json.stringMap(node.taggedAddresses)
        json.key("NodeMeta"); json.stringMap(node.meta)
        json.field("SkipNodeUpdate", skipNodeUpdate)
        if let service { json.key("Service"); service.write(to: &json) }
        json.key("Checks")
        json.beginArray()
        for c in checks { c.write(to: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
