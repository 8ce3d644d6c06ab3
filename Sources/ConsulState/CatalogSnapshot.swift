import Wire
import ConsulAPI

/// The catalog's part of a state snapshot (binary, fields in a fixed order, indexes kept).
extension CatalogTables {
    func encode(into w: inout ByteWriter) {
        w.u64(nodesIndex); w.u64(servicesIndex); w.u64(checksIndex)
        w.stringIndexMap(serviceIndex)
        w.stringIndexMap(nodeIndex)
        let nodeList = nodes.values.sorted { $0.node < $1.node }
        w.u64(UInt64(nodeList.count))
        for n in nodeList {
            w.string(n.id); w.string(n.node); w.string(n.address); w.string(n.datacenter)
            w.stringMap(n.taggedAddresses); w.stringMap(n.meta); w.u64(n.createIndex); w.u64(n.modifyIndex)
        }
        let serviceList = services.flatMap { node, byID in byID.values.map { (node, $0) } }.sorted { ($0.0, $0.1.id) < ($1.0, $1.1.id) }
        w.u64(UInt64(serviceList.count))
        for (node, s) in serviceList {
            w.string(node); w.string(s.kind); w.string(s.id); w.string(s.service); w.strings(s.tags); w.string(s.address)
            w.u64(UInt64(s.taggedAddresses.count))
            for k in s.taggedAddresses.keys.sorted() {
                w.string(k); w.string(s.taggedAddresses[k]!.address); w.u64(UInt64(bitPattern: Int64(s.taggedAddresses[k]!.port)))
            }
            w.stringMap(s.meta); w.u64(UInt64(bitPattern: Int64(s.port)))
            w.u64(UInt64(bitPattern: Int64(s.weightsPassing))); w.u64(UInt64(bitPattern: Int64(s.weightsWarning)))
            w.u8(s.enableTagOverride ? 1 : 0); w.u64(s.createIndex); w.u64(s.modifyIndex)
        }
        let checkList = checks.flatMap { node, byID in byID.values.map { (node, $0) } }.sorted { ($0.0, $0.1.checkID) < ($1.0, $1.1.checkID) }
        w.u64(UInt64(checkList.count))
        for (_, c) in checkList {
            w.string(c.node); w.string(c.checkID); w.string(c.name); w.string(c.status); w.string(c.notes); w.string(c.output)
            w.string(c.serviceID); w.string(c.serviceName); w.strings(c.serviceTags); w.string(c.type); w.string(c.interval)
            w.string(c.timeout); w.stringMap(c.definition); w.u64(c.createIndex); w.u64(c.modifyIndex)
        }
    }

    static func decode(from r: inout StateReader) throws(DecodeError) -> CatalogTables {
        var t = CatalogTables()
        t.nodesIndex = try r.u64(); t.servicesIndex = try r.u64(); t.checksIndex = try r.u64()
        t.serviceIndex = try r.stringIndexMap()
        t.nodeIndex = try r.stringIndexMap()
        for _ in 0..<(try r.u64()) {
            var n = CatalogNode()
            n.id = try r.string(); n.node = try r.string(); n.address = try r.string(); n.datacenter = try r.string()
            n.taggedAddresses = try r.stringMap(); n.meta = try r.stringMap(); n.createIndex = try r.u64(); n.modifyIndex = try r.u64()
            t.nodes[n.node] = n
        }
        for _ in 0..<(try r.u64()) {
            let node = try r.string()
            var s = NodeService()
            s.kind = try r.string(); s.id = try r.string(); s.service = try r.string(); s.tags = try r.strings(); s.address = try r.string()
            for _ in 0..<(try r.u64()) {
                let k = try r.string()
                s.taggedAddresses[k] = ServiceAddress(address: try r.string(), port: Int(Int64(bitPattern: try r.u64())))
            }
            s.meta = try r.stringMap(); s.port = Int(Int64(bitPattern: try r.u64()))
            s.weightsPassing = Int(Int64(bitPattern: try r.u64())); s.weightsWarning = Int(Int64(bitPattern: try r.u64()))
            s.enableTagOverride = try r.u8() == 1; s.createIndex = try r.u64(); s.modifyIndex = try r.u64()
            t.services[node, default: [:]][s.id] = s
        }
        for _ in 0..<(try r.u64()) {
            var c = HealthCheck()
            c.node = try r.string(); c.checkID = try r.string(); c.name = try r.string(); c.status = try r.string()
            c.notes = try r.string(); c.output = try r.string(); c.serviceID = try r.string(); c.serviceName = try r.string()
            c.serviceTags = try r.strings(); c.type = try r.string(); c.interval = try r.string(); c.timeout = try r.string()
            c.definition = try r.stringMap(); c.createIndex = try r.u64(); c.modifyIndex = try r.u64()
            t.checks[c.node, default: [:]][c.checkID] = c
        }
        t.rebuildIndex()
        return t
    }
}

extension CatalogTables {
    /// Service fields added in snapshot version 5 (connect proxy/native, locality), for the
    /// services that have any: node, service ID, then the fields.
    func encodeServiceExtras(into w: inout ByteWriter) {
        var rows: [(String, NodeService)] = []
        for node in services.keys.sorted() {
            for (_, s) in services[node]!.sorted(by: { $0.key < $1.key })
            where !s.proxyDestination.isEmpty || s.connectNative || s.locality != nil { rows.append((node, s)) }
        }
        w.u64(UInt64(rows.count))
        for (node, s) in rows {
            w.string(node); w.string(s.id); w.string(s.proxyDestination); w.u8(s.connectNative ? 1 : 0)
            w.u8(s.locality == nil ? 0 : 1)
            if let l = s.locality { w.string(l.region); w.string(l.zone) }
        }
    }

    mutating func decodeServiceExtras(from r: inout StateReader) throws(DecodeError) {
        for _ in 0..<(try r.u64()) {
            let node = try r.string(), id = try r.string()
            let proxy = try r.string(), native = try r.u8() == 1
            let locality = try r.u8() == 1 ? ServiceLocality(region: try r.string(), zone: try r.string()) : nil
            guard services[node]?[id] != nil else { throw DecodeError("service extras for unknown service \(node)/\(id)") }
            services[node]![id]!.proxyDestination = proxy
            services[node]![id]!.connectNative = native
            services[node]![id]!.locality = locality
        }
    }
}

extension ByteWriter {
    mutating func strings(_ list: [String]) { u64(UInt64(list.count)); for s in list { string(s) } }
    mutating func stringMap(_ map: [String: String]) {
        u64(UInt64(map.count))
        for k in map.keys.sorted() { string(k); string(map[k]!) }
    }
    mutating func stringIndexMap(_ map: [String: UInt64]) {
        u64(UInt64(map.count))
        for k in map.keys.sorted() { string(k); u64(map[k]!) }
    }
}

extension ByteReader where Failure == DecodeError {
    mutating func strings() throws(DecodeError) -> [String] {
        var out: [String] = []
        for _ in 0..<(try u64()) { out.append(try string()) }
        return out
    }
    mutating func stringMap() throws(DecodeError) -> [String: String] {
        var out: [String: String] = [:]
        for _ in 0..<(try u64()) { let k = try string(); out[k] = try string() }
        return out
    }
    mutating func stringIndexMap() throws(DecodeError) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for _ in 0..<(try u64()) { let k = try string(); out[k] = try u64() }
        return out
    }
}
