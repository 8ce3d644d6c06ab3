import Wire
import ConsulAPI

/// What a state snapshot holds, by record type and by key, in the bytes each takes in the
/// snapshot encoding (`consul snapshot inspect`).
public struct SnapshotStats: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        /// Consul's record type name (KVS, Register, Session, …).
        public var name: String
        public var count: Int
        public var bytes: Int
        public init(name: String, count: Int, bytes: Int) {
            self.name = name
            self.count = count
            self.bytes = bytes
        }
    }

    public var rows: [Row]
    /// Every KV entry and its encoded size, in key order.
    public var keys: [(key: String, bytes: Int)]

    public static func == (a: SnapshotStats, b: SnapshotStats) -> Bool {
        a.rows == b.rows && a.keys.count == b.keys.count && zip(a.keys, b.keys).allSatisfy { $0 == $1 }
    }
}

extension StateStore {
    /// Decodes a state snapshot (every check `restore` makes) and measures it.
    public static func snapshotStats(_ bytes: [UInt8]) throws(DecodeError) -> SnapshotStats {
        let store = StateStore()
        try store.restore(bytes)
        var rows: [SnapshotStats.Row] = []
        func row(_ name: String, _ count: Int, _ size: Int) {
            if count > 0 { rows.append(.init(name: name, count: count, bytes: size)) }
        }
        // Sizes follow the encoding in StateSnapshot.swift: u32-prefixed strings and blobs, u64 fields.
        let (pairs, _) = store.kvList(prefix: "")
        let keys = pairs.map { p in (p.key, 4 + p.key.utf8.count + 4 + p.value.count + 8 + 8 + 4 + p.session.utf8.count + 8 + 8) }
        row("KVS", keys.count, keys.reduce(0) { $0 + $1.1 })
        let tombs = store.tombstoneList
        row("Tombstone", tombs.count, tombs.reduce(0) { $0 + 4 + $1.0.utf8.count + 8 })
        var catalog = ByteWriter()
        store.catalog.encode(into: &catalog)
        store.catalog.encodeServiceExtras(into: &catalog)
        let registrations = store.catalog.nodes.count + store.catalog.services.values.reduce(0) { $0 + $1.count }
            + store.catalog.checks.values.reduce(0) { $0 + $1.count }
        row("Register", registrations, catalog.bytes.count)
        var sessions = ByteWriter()
        for s in store.sessions.all { s.encode(into: &sessions) }
        row("Session", store.sessions.all.count, sessions.bytes.count)
        let queries = store.queries.all
        row("PreparedQuery", queries.count, queries.reduce(0) { $0 + 4 + $1.encodedJSON().count })
        if let autopilot = store.autopilot { row("Autopilot", 1, 4 + autopilot.json.count + 16) }
        var coordinates = ByteWriter()
        let allCoordinates = store.allCoordinates()
        for c in allCoordinates { c.encode(into: &coordinates) }
        row("CoordinateBatchUpdate", allCoordinates.count, coordinates.bytes.count)
        return SnapshotStats(rows: rows, keys: keys)
    }
}
