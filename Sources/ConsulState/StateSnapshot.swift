import Wire
import ConsulAPI

/// The whole state as bytes for a Raft snapshot, and back. Format version first, so later
/// tables (catalog, sessions) can be added without breaking old snapshots.
extension StateStore {
    /// 1: KV only. 2: KV + catalog. 3: + sessions and prepared queries. 4: + autopilot settings.
    /// 5: + services' connect and locality fields, and the coordinates table.
    public static let snapshotVersion: UInt8 = 5

    /// The whole state as snapshot bytes (see `StateImage.encode`).
    public func snapshot() -> [UInt8] { image().bytes }

    /// A point-in-time copy of every replicated table, to be encoded anywhere: the tables are
    /// values, so taking it copies nothing now, and later changes here copy what they touch
    /// instead of changing the image. A save encodes it off the loop.
    public func image() -> StateImage {
        StateImage(index: index, kvTableIndex: kvTableIndex, kv: kv, tombstones: tombstones, catalog: catalog,
                   sessions: sessions, queries: queries, autopilot: autopilot, coordinates: coordinates)
    }

    /// The snapshot format versions `restore` reads.
    public static let snapshotVersions: ClosedRange<Int> = 1...Int(snapshotVersion)

    /// Replaces the whole state with a snapshot's; every blocked query wakes (anything may differ).
    /// With `lift` (a restore replicated at that Raft index), everything restored reads as written
    /// at `lift`: every ModifyIndex and table index becomes `lift`, every CreateIndex at most
    /// `lift` — so no index a client saw goes backwards, and none runs ahead of the Raft log (the
    /// archive may come from a cluster further along). Nothing changes unless it all decodes.
    public func restore(_ bytes: [UInt8], restampedAt lift: UInt64 = 0) throws(DecodeError) {
        if lift > 0 {
            // A replicated restore, whose state the leader already decoded whole: drop our keys
            // first so only one copy of the state is ever in memory. Should it fail here anyway
            // (a server running an older version), this replica is left empty, never half-old.
            guard let version = bytes.first, StateStore.snapshotVersions.contains(Int(version)) else {
                throw DecodeError("unsupported snapshot version \(bytes.first ?? 0)")
            }
            kv = KVTable()
            tombstones = [:]
            do { install(try StateStore.decodeSnapshot(bytes, lift: lift, keepKeys: true)) } catch {
                install(DecodedSnapshot(index: lift, kvTableIndex: lift))
                throw error
            }
        } else {
            install(try StateStore.decodeSnapshot(bytes, lift: 0, keepKeys: true))
        }
    }

    private func install(_ d: DecodedSnapshot) {
        catalog = d.catalog
        summaryCache = [:]
        coordinates = d.coordinates
        sessions = d.sessions
        queries = d.queries
        autopilot = d.autopilot
        replaceAll(index: d.index, kvTableIndex: d.kvTableIndex, kv: d.kv, tombstones: d.tombstones)
    }

    /// Checks that a snapshot decodes completely (every field of every table) without building
    /// its key table: what a restore verifies before it is committed, at a fraction of the memory.
    public static func validateSnapshot(_ bytes: [UInt8]) throws(DecodeError) {
        _ = try decodeSnapshot(bytes, lift: 0, keepKeys: false)
    }

    private struct DecodedSnapshot {
        var index: UInt64 = 0
        var kvTableIndex: UInt64 = 0
        /// Built as the snapshot decodes (no intermediate list of every pair).
        var kv = KVTable()
        var tombstones: [(String, UInt64)] = []
        var catalog = CatalogTables()
        var sessions = SessionTable()
        var queries = PreparedQueryTable()
        var autopilot: StoredSettings?
        var coordinates = CoordinateTable()
    }

    private static func decodeSnapshot(_ bytes: [UInt8], lift: UInt64, keepKeys: Bool) throws(DecodeError) -> DecodedSnapshot {
        var r = StateReader(bytes)
        var d = DecodedSnapshot()
        let version = try r.u8()
        guard StateStore.snapshotVersions.contains(Int(version)) else { throw DecodeError("unsupported snapshot version \(version)") }
        let restamp = { (index: UInt64) in lift > 0 ? min(index, lift) : index }
        let (savedIndex, savedTableIndex) = (try r.u64(), try r.u64())
        (d.index, d.kvTableIndex) = lift > 0 ? (lift, lift) : (savedIndex, savedTableIndex)
        for _ in 0..<(try r.u64()) {
            var pair = KVPair(key: try r.string(), value: try r.blob(), flags: try r.u64(), lockIndex: try r.u64(),
                              session: try r.string(), createIndex: try r.u64(), modifyIndex: try r.u64())
            if lift > 0 { (pair.createIndex, pair.modifyIndex) = (restamp(pair.createIndex), lift) }
            if keepKeys { d.kv.upsert(pair) }
        }
        for _ in 0..<(try r.u64()) { d.tombstones.append((try r.string(), restamp(try r.u64()))) }
        if version >= 2 { d.catalog = try CatalogTables.decode(from: &r) }
        if version >= 3 {
            d.sessions.index = try r.u64()
            for _ in 0..<(try r.u64()) {
                var session = try Session.decode(from: &r)
                if lift > 0 { (session.createIndex, session.modifyIndex) = (restamp(session.createIndex), lift) }
                d.sessions.insert(session)
            }
            d.queries.index = try r.u64()
            for _ in 0..<(try r.u64()) {
                var query = try PreparedQuery.decode(encodedJSON: try r.blob())
                if lift > 0 { (query.createIndex, query.modifyIndex) = (restamp(query.createIndex), lift) }
                d.queries.put(query)
            }
        }
        if version >= 4, try r.u8() == 1 {
            let (json, created, modified) = (try r.blob(), try r.u64(), try r.u64())
            d.autopilot = StoredSettings(json: json, createIndex: restamp(created), modifyIndex: lift > 0 ? lift : modified)
        }
        if version >= 5 {
            try d.catalog.decodeServiceExtras(from: &r)
            d.coordinates.index = try r.u64()
            for _ in 0..<(try r.u64()) {
                let c = try NodeCoordinate.decode(from: &r)
                d.coordinates.byNode[c.node] = c
            }
        }
        guard r.isAtEnd else { throw DecodeError("trailing bytes after snapshot") }
        if lift > 0 {
            d.catalog.restamp(at: lift)
            (d.coordinates.index, d.sessions.index, d.queries.index) = (lift, lift, lift)
        }
        return d
    }
}
