import Wire
import ConsulAPI

/// The whole state as bytes for a Raft snapshot, and back. Format version first, so later
/// tables (catalog, sessions) can be added without breaking old snapshots.
extension StateStore {
    /// 1: KV only. 2: KV + catalog. 3: + sessions and prepared queries. 4: + autopilot settings.
    /// 5: + services' connect and locality fields, and the coordinates table.
    public static let snapshotVersion: UInt8 = 5

    public func snapshot() -> [UInt8] {
        var w = ByteWriter()
        w.u8(StateStore.snapshotVersion)
        w.u64(index)
        w.u64(kvTableIndex)
        let (entries, _) = kvList(prefix: "")
        w.u64(UInt64(entries.count))
        for e in entries {
            w.string(e.key); w.blob(e.value); w.u64(e.flags); w.u64(e.lockIndex); w.string(e.session)
            w.u64(e.createIndex); w.u64(e.modifyIndex)
        }
        let tombs = tombstoneList
        w.u64(UInt64(tombs.count))
        for (key, idx) in tombs { w.string(key); w.u64(idx) }
        catalog.encode(into: &w)
        let all = sessions.all
        w.u64(sessions.index)
        w.u64(UInt64(all.count))
        for s in all { s.encode(into: &w) }
        w.u64(queries.index)
        let allQueries = queries.all
        w.u64(UInt64(allQueries.count))
        for q in allQueries { w.blob(q.encodedJSON()) }
        w.u8(autopilot == nil ? 0 : 1)
        if let autopilot { w.blob(autopilot.json); w.u64(autopilot.createIndex); w.u64(autopilot.modifyIndex) }
        catalog.encodeServiceExtras(into: &w)
        w.u64(coordinates.index)
        let allCoordinates = allCoordinates()
        w.u64(UInt64(allCoordinates.count))
        for c in allCoordinates { c.encode(into: &w) }
        return w.bytes
    }

    /// The snapshot format versions `restore` reads.
    public static let snapshotVersions: ClosedRange<Int> = 1...Int(snapshotVersion)

    /// Replaces the whole state with a snapshot's; every blocked query wakes (anything may differ).
    /// With `lift`, every table index and every key's ModifyIndex become at least `lift` (a
    /// restore replicated at that index). Nothing changes unless the whole snapshot decodes.
    public func restore(_ bytes: [UInt8], liftingIndexesTo lift: UInt64 = 0) throws(DecodeError) {
        var r = StateReader(bytes)
        let version = try r.u8()
        guard StateStore.snapshotVersions.contains(Int(version)) else { throw DecodeError("unsupported snapshot version \(version)") }
        let newIndex = max(try r.u64(), lift)
        let newTableIndex = max(try r.u64(), lift)
        var pairs: [KVPair] = []
        for _ in 0..<(try r.u64()) {
            pairs.append(KVPair(key: try r.string(), value: try r.blob(), flags: try r.u64(), lockIndex: try r.u64(),
                                session: try r.string(), createIndex: try r.u64(), modifyIndex: max(try r.u64(), lift)))
        }
        var tombs: [(String, UInt64)] = []
        for _ in 0..<(try r.u64()) { tombs.append((try r.string(), try r.u64())) }
        let restoredCatalog = version >= 2 ? try CatalogTables.decode(from: &r) : CatalogTables()
        var restoredSessions = SessionTable()
        if version >= 3 {
            restoredSessions.index = try r.u64()
            for _ in 0..<(try r.u64()) { restoredSessions.insert(try Session.decode(from: &r)) }
        }
        var restoredQueries = PreparedQueryTable()
        if version >= 3 {
            restoredQueries.index = try r.u64()
            for _ in 0..<(try r.u64()) { restoredQueries.put(try PreparedQuery.decode(encodedJSON: try r.blob())) }
        }
        var restoredAutopilot: StoredSettings?
        if version >= 4, try r.u8() == 1 {
            restoredAutopilot = StoredSettings(json: try r.blob(), createIndex: try r.u64(), modifyIndex: try r.u64())
        }
        var restoredCoordinates = CoordinateTable()
        var catalogWithExtras = restoredCatalog
        if version >= 5 {
            try catalogWithExtras.decodeServiceExtras(from: &r)
            restoredCoordinates.index = try r.u64()
            for _ in 0..<(try r.u64()) {
                let c = try NodeCoordinate.decode(from: &r)
                restoredCoordinates.byNode[c.node] = c
            }
        }
        guard r.isAtEnd else { throw DecodeError("trailing bytes after snapshot") }
        if lift > 0 {
            catalogWithExtras.liftIndexes(to: lift)
            restoredCoordinates.index = max(restoredCoordinates.index, lift)
            restoredSessions.index = max(restoredSessions.index, lift)
            restoredQueries.index = max(restoredQueries.index, lift)
        }
        catalog = catalogWithExtras
        coordinates = restoredCoordinates
        sessions = restoredSessions
        queries = restoredQueries
        autopilot = restoredAutopilot
        replaceAll(index: newIndex, kvTableIndex: newTableIndex, pairs: pairs, tombstones: tombs)
    }
}
