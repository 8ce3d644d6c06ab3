import ConsulAPI

/// The replicated state machine. Pure: it changes only through `apply(_:at:)` with the index the
/// log assigned, so every replica that applies the same commands holds the same state.
public final class StateStore {
    /// Index of the last applied command (the Raft index once Raft drives it).
    public private(set) var index: UInt64 = 0
    /// Highest index of any KV change, deletes included — what an absent-key read reports.
    public internal(set) var kvTableIndex: UInt64 = 0
    var kv = KVTable()
    /// Deleted keys and the index they were deleted at, so a prefix's index never goes back.
    var tombstones: [String: UInt64] = [:]
    var catalog = CatalogTables()
    var sessions = SessionTable()
    var queries = PreparedQueryTable()
    var coordinates = CoordinateTable()
    /// Autopilot's settings (nil: never set, the defaults apply).
    public internal(set) var autopilot: StoredSettings?
    /// Replica-local timing of sessions (lock-delays, TTL clocks) — never replicated, as in Consul.
    var sessionTimers = SessionTimers()
    public var watches = WatchRegistry()
    /// Moves on every change to what DNS answers from (catalog, prepared queries, a restore):
    /// cached DNS answers are good for one generation only.
    public internal(set) var catalogGeneration: UInt64 = 0
    /// The web UI's per-service summaries with the service index each was made at (a service's
    /// index moves with every change to its instances, their checks or their nodes' checks).
    var summaryCache: [String: (index: UInt64, summary: ServiceSummary)] = [:]
    /// Monotonic nanoseconds, for lock-delays and TTL clocks only (replicated state never
    /// depends on it). The server wires its loop clock in; tests pass a fake.
    public var monotonicNow: () -> UInt64 = { 0 }
    /// Inflates a replicated restore's compressed state (LZ4 lives at the edge; the server
    /// wires its archiver in). Nil: this replica refuses restores, as every replica would.
    public var inflateState: (([UInt8], UInt64) -> Result<[UInt8], DecodeError>)?

    public init() {}

    // MARK: Apply

    /// Applies one command at `index` (strictly increasing) and wakes the watchers it concerns.
    @discardableResult
    public func apply(_ command: Command, at index: UInt64) -> CommandResult {
        precondition(index > self.index, "apply index \(index) not after \(self.index)")
        self.index = index
        var woken: [() -> Void] = []
        let result: CommandResult
        switch command {
        case .catalogRegister, .catalogDeregister: result = applyCatalog(command, at: index, woken: &woken)
        case .sessionCreate, .sessionDestroy, .sessionRenew, .kvLock, .kvUnlock:
            result = applySession(command, at: index, woken: &woken)
        case .txn(let ops): result = applyTxn(ops, at: index, woken: &woken)
        case .querySet, .queryDelete: result = applyQuery(command, at: index, woken: &woken)
        case .coordinateBatchUpdate(let updates): result = applyCoordinates(updates, at: index, woken: &woken)
        case let .restoreState(compressed, size): result = applyRestore(compressed, size: size, at: index)
        case let .autopilotSet(json, cas):
            if let cas, cas != (autopilot?.modifyIndex ?? 0) {
                result = .bool(false)
            } else {
                autopilot = StoredSettings(json: json, createIndex: autopilot?.createIndex ?? index, modifyIndex: index)
                result = .bool(true)
            }
        default: result = applyKV(command, at: index, woken: &woken)
        }
        for callback in woken { callback() }
        return result
    }

    func applyKV(_ command: Command, at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        switch command {
        case let .kvSet(key, value, flags):
            setKey(key, value: value, flags: flags, at: index, woken: &woken)
            return .bool(true)
        case let .kvCAS(key, value, flags, expected):
            let current = kv[key]?.modifyIndex
            guard (expected == 0 && current == nil) || (expected != 0 && current == expected) else { return .bool(false) }
            setKey(key, value: value, flags: flags, at: index, woken: &woken)
            return .bool(true)
        case let .kvDelete(key):
            deleteKey(key, at: index, woken: &woken)
            return .bool(true)
        case let .kvDeleteCAS(key, expected):
            guard let current = kv[key] else { return .bool(true) }
            guard expected != 0, current.modifyIndex == expected else { return .bool(false) }
            deleteKey(key, at: index, woken: &woken)
            return .bool(true)
        case let .kvDeleteTree(prefix):
            let keys = Array(kv.keys(withPrefix: prefix))
            guard !keys.isEmpty else { return .bool(true) }
            for key in keys {
                if let old = kv.remove(key), !old.session.isEmpty { sessions.released(key, by: old.session) }
                tombstones[key] = index
            }
            kvTableIndex = index
            woken += watches.fire(.kvPrefix(prefix))
            return .bool(true)
        default:
            return .failure("not a KV command")
        }
    }

    func setKey(_ key: String, value: [UInt8], flags: UInt64, at index: UInt64, woken: inout [() -> Void]) {
        var entry = kv[key] ?? KVPair(key: key, createIndex: index)
        // Rewriting identical content is a no-op, so watchers of the key are not woken for nothing.
        if entry.modifyIndex != 0 && entry.value == value && entry.flags == flags { return }
        entry.value = value
        entry.flags = flags
        entry.modifyIndex = index
        kv.upsert(entry)
        tombstones[key] = nil
        kvTableIndex = index
        woken += watches.fire(.kvKey(key))
    }

    func deleteKey(_ key: String, at index: UInt64, woken: inout [() -> Void]) {
        guard let old = kv.remove(key) else { return }
        if !old.session.isEmpty { sessions.released(key, by: old.session) }
        tombstones[key] = index
        kvTableIndex = index
        woken += watches.fire(.kvKey(key))
    }

    // MARK: Reads

    public func kvGet(_ key: String) -> KVPair? { kv[key] }

    /// Entries under `prefix` in key order, and the index a blocking query on them reports.
    public func kvList(prefix: String) -> (entries: [KVPair], index: UInt64) {
        let keys = kv.keys(withPrefix: prefix)
        var entries: [KVPair] = []
        entries.reserveCapacity(keys.count)
        var maxIndex: UInt64 = 0
        for key in keys {
            let entry = kv[key]!
            maxIndex = max(maxIndex, entry.modifyIndex)
            entries.append(entry)
        }
        return (entries, prefixIndex(prefix, entriesMax: maxIndex))
    }

    /// Key names under `prefix`; with a separator, each is cut after the first separator past the
    /// prefix and duplicates collapse (`?keys&separator=/`).
    public func kvKeys(prefix: String, separator: String) -> (keys: [String], index: UInt64) {
        var result: [String] = []
        var maxIndex: UInt64 = 0
        let prefixBytes = prefix.utf8.count
        for key in kv.keys(withPrefix: prefix) {
            maxIndex = max(maxIndex, kv[key]!.modifyIndex)
            var name = key
            if !separator.isEmpty {
                let rest = key.utf8.dropFirst(prefixBytes)
                if let range = firstRange(of: Array(separator.utf8), in: rest) {
                    name = String(decoding: key.utf8[..<range], as: UTF8.self)
                }
            }
            if result.last != name { result.append(name) }
        }
        return (result, prefixIndex(prefix, entriesMax: maxIndex))
    }

    /// Index for a read of one key: its ModifyIndex when present, else the table index.
    public func kvKeyIndex(_ key: String) -> UInt64 {
        kv[key]?.modifyIndex ?? kvTableIndex
    }

    private func prefixIndex(_ prefix: String, entriesMax: UInt64) -> UInt64 {
        var result = entriesMax
        for (key, deletedAt) in tombstones where deletedAt > result && hasBytePrefix(key, prefix) {
            result = deletedAt
        }
        return result == 0 ? kvTableIndex : result
    }

    public var kvCount: Int { kv.count }

    var tombstoneList: [(String, UInt64)] { tombstones.sorted { bytesLess($0.key, $1.key) }.map { ($0.key, $0.value) } }

    /// A replicated restore: the archive's state replaces ours, every table's index and every
    /// key's ModifyIndex rise to `index` (nothing a client saw goes backwards), TTL clocks
    /// restart and every blocked query wakes. A state that does not decode changes nothing.
    private func applyRestore(_ compressed: [UInt8], size: UInt64, at index: UInt64) -> CommandResult {
        guard let inflateState else { return .failure("snapshot restore: this server cannot inflate snapshot state") }
        switch inflateState(compressed, size) {
        case .failure(let error): return .failure("snapshot restore: \(error)")
        case .success(let raw):
            do { try restore(raw, restampedAt: index) } catch { return .failure("snapshot restore: \(error)") }
            return .bool(true)
        }
    }

    func replaceAll(index newIndex: UInt64, kvTableIndex newTableIndex: UInt64, kv table: KVTable, tombstones newTombs: [(String, UInt64)]) {
        index = newIndex
        kvTableIndex = newTableIndex
        kv = table
        tombstones = Dictionary(newTombs, uniquingKeysWith: { a, _ in a })
        catalogGeneration &+= 1
        sessions.rebuildHeldKeys(from: table.entries.values)
        sessionTimers = SessionTimers()
        sessionTimers.resetAll(sessions.byID.keys, now: monotonicNow())
        for callback in watches.fireAll() { callback() }
    }

    /// Records a log entry that carries no command (Raft no-op or membership), so `index`
    /// always equals the last applied log index.
    public func skip(to index: UInt64) {
        if index > self.index { self.index = index }
    }

    /// Applies an encoded command (a committed Raft entry's bytes).
    @discardableResult
    public func apply(encoded bytes: [UInt8], at index: UInt64) throws(DecodeError) -> CommandResult {
        apply(try Command(encoded: bytes), at: index)
    }
}

/// End index (exclusive, in the full key's UTF-8 view) of the first occurrence of `needle`.
private func firstRange(of needle: [UInt8], in haystack: Substring.UTF8View) -> String.Index? {
    guard !needle.isEmpty else { return nil }
    var i = haystack.startIndex
    while i != haystack.endIndex {
        var j = i
        var k = 0
        while k < needle.count, j != haystack.endIndex, haystack[j] == needle[k] {
            j = haystack.index(after: j)
            k += 1
        }
        if k == needle.count { return j }
        i = haystack.index(after: i)
    }
    return nil
}
