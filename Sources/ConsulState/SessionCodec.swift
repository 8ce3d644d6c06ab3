import Wire
import ConsulAPI

/// Sessions as bytes, for the Raft log and snapshots.
extension Session {
    func encode(into w: inout ByteWriter) {
        w.string(id); w.string(name); w.string(node); w.u64(lockDelay); w.string(behavior.rawValue); w.string(ttl)
        w.u32(UInt32(nodeChecks.count))
        for c in nodeChecks { w.string(c) }
        w.u32(UInt32(serviceChecks.count))
        for c in serviceChecks { w.string(c.id); w.string(c.namespace) }
        w.u64(createIndex); w.u64(modifyIndex)
    }

    static func decode(from r: inout StateReader) throws(DecodeError) -> Session {
        var s = Session()
        s.id = try r.string()
        s.name = try r.string()
        s.node = try r.string()
        s.lockDelay = try r.u64()
        let behavior = try r.string()
        guard let b = Behavior(rawValue: behavior) else { throw DecodeError("unknown session behavior \(behavior)") }
        s.behavior = b
        s.ttl = try r.string()
        s.nodeChecks = []
        for _ in 0..<(try r.u32()) { s.nodeChecks.append(try r.string()) }
        for _ in 0..<(try r.u32()) { s.serviceChecks.append(ServiceCheck(id: try r.string(), namespace: try r.string())) }
        s.createIndex = try r.u64()
        s.modifyIndex = try r.u64()
        return s
    }
}
