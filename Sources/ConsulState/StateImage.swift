import Wire
import ConsulAPI

/// The replicated tables as they were at one index (`StateStore.image()`), and their encoding
/// as snapshot bytes: format version first, then KV, tombstones, catalog, sessions, prepared
/// queries, autopilot settings, service extras and coordinates. Touches no store, so any thread
/// may encode it.
public struct StateImage {
    let index: UInt64
    let kvTableIndex: UInt64
    let kv: KVTable
    let tombstones: [String: UInt64]
    let catalog: CatalogTables
    let sessions: SessionTable
    let queries: PreparedQueryTable
    let autopilot: StoredSettings?
    let coordinates: CoordinateTable

    /// The encoding in one array.
    public var bytes: [UInt8] {
        var whole: [UInt8] = []
        encode(chunkBytes: Int.max) { whole = $0 }
        return whole
    }

    /// The encoding handed to `emit` in pieces of at least `chunkBytes` (a piece ends at the
    /// first record boundary past it; the last one may be shorter), as it is produced — a
    /// consumer can compress the first pieces while later ones are still being encoded, and the
    /// whole never has to exist at once.
    public func encode(chunkBytes: Int, emit: ([UInt8]) -> Void) {
        var kvBytes = 0
        for (_, e) in kv.entries { kvBytes += 44 + e.key.utf8.count + e.value.count + e.session.utf8.count }
        // Room for a whole piece and the record that ends it, so a piece is never copied to grow.
        let reserve = min(chunkBytes, kvBytes) + (1 << 20)
        var w = ByteWriter(order: .littleEndian, capacity: reserve)
        var emitted = false
        func handOver(final: Bool) {
            guard w.bytes.count >= chunkBytes || (final && (!w.bytes.isEmpty || !emitted)) else { return }
            emit(w.bytes)
            emitted = true
            w = ByteWriter(order: .littleEndian, capacity: final ? 0 : reserve)
        }
        w.u8(StateStore.snapshotVersion)
        w.u64(index)
        w.u64(kvTableIndex)
        w.u64(UInt64(kv.count))
        for key in kv.sortedKeys {
            let e = kv.entries[key]!
            w.string(e.key); w.blob(e.value); w.u64(e.flags); w.u64(e.lockIndex); w.string(e.session)
            w.u64(e.createIndex); w.u64(e.modifyIndex)
            if w.bytes.count >= chunkBytes { handOver(final: false) }
        }
        let tombs = tombstones.sorted { bytesLess($0.key, $1.key) }
        w.u64(UInt64(tombs.count))
        for (key, idx) in tombs { w.string(key); w.u64(idx) }
        catalog.encode(into: &w)
        handOver(final: false)
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
        let allCoordinates = coordinates.byNode.values.sorted { $0.node < $1.node }
        w.u64(UInt64(allCoordinates.count))
        for c in allCoordinates { c.encode(into: &w) }
        handOver(final: true)
    }
}
