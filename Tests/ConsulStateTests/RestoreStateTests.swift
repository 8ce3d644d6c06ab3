import ConsulAPI
@testable import ConsulState
import Testing

/// A replicated restore (`PUT /v1/snapshot`): the saved state comes back whole, no index a client
/// has seen goes backwards, every blocked query wakes, and a state that does not decode changes
/// nothing.
@Suite struct RestoreStateTests {
    private func registerWeb(_ store: StateStore, at index: UInt64) {
        var r = RegisterRequest()
        r.node.node = "n1"
        r.node.address = "10.0.0.1"
        var s = NodeService()
        s.service = "web"
        s.id = "web"
        r.service = s
        store.apply(.catalogRegister(r), at: index)
    }

    /// The store with its inflater as the server wires it (here: the bytes are not compressed).
    private func restorable() -> StateStore {
        let store = StateStore()
        store.inflateState = { bytes, size in
            bytes.count == Int(size) ? .success(bytes) : .failure(DecodeError("size \(bytes.count) != \(size)"))
        }
        return store
    }

    @Test func restoreReplacesStateAndLiftsIndexes() {
        let saved = StateStore()
        saved.apply(.kvSet(key: "a", value: Array("old".utf8), flags: 1), at: 1)
        registerWeb(saved, at: 2)
        let archive = saved.snapshot()

        let live = restorable()
        for i in 1...40 { live.apply(.kvSet(key: "k\(i)", value: [1], flags: 0), at: UInt64(i)) }
        live.apply(.kvSet(key: "a", value: Array("new".utf8), flags: 0), at: 41)
        var woken = 0
        _ = live.watches.register([.kvKey("a")]) { woken += 1 }
        _ = live.watches.register([.catalogServices]) { woken += 1 }

        let result = live.apply(.restoreState(compressed: archive, size: UInt64(archive.count)), at: 50)
        #expect(result == .bool(true))
        #expect(woken == 2)
        #expect(live.kvGet("a")?.value == Array("old".utf8))
        #expect(live.kvGet("k1") == nil)
        #expect(live.kvCount == 1)
        #expect(live.catalogServices().services.keys.contains("web"))
        // Nothing goes backwards: the key and every table report at least the restore's index.
        #expect(live.kvGet("a")?.modifyIndex == 50)
        #expect(live.kvKeyIndex("a") == 50)
        #expect(live.kvKeyIndex("k1") >= 50)
        #expect(live.catalogServices().index == 50)
        #expect(live.serviceHealth("web").index == 50)
        #expect(live.index == 50)
    }

    /// An archive from a cluster further along (indexes beyond this log) restores with every
    /// index at the restore's own, and the log goes on from there.
    @Test func archiveFromFurtherAlongRestampsToTheLog() {
        let saved = StateStore()
        saved.apply(.kvSet(key: "a", value: [1], flags: 0), at: 90_000)
        registerWeb(saved, at: 90_001)
        let archive = saved.snapshot()
        let live = restorable()
        live.apply(.kvSet(key: "b", value: [2], flags: 0), at: 5)
        #expect(live.apply(.restoreState(compressed: archive, size: UInt64(archive.count)), at: 7) == .bool(true))
        #expect(live.index == 7)
        #expect(live.kvGet("a")?.modifyIndex == 7 && live.kvGet("a")?.createIndex == 7)
        #expect(live.catalogServices().index == 7)
        #expect(live.apply(.kvSet(key: "c", value: [3], flags: 0), at: 8) == .bool(true))
        #expect(live.kvKeyIndex("c") == 8)
    }

    /// A state that breaks off after this replica dropped its keys (possible only on a server of
    /// another version, since the leader decoded it whole): the replica is left empty, not
    /// half-old, and says why.
    @Test func truncatedStateLeavesTheReplicaEmpty() {
        let saved = StateStore()
        for i in 1...5 { saved.apply(.kvSet(key: "k\(i)", value: [UInt8(i)], flags: 0), at: UInt64(i)) }
        let archive = Array(saved.snapshot().dropLast(3))
        let live = restorable()
        live.apply(.kvSet(key: "old", value: [1], flags: 0), at: 1)
        guard case .failure(let reason) = live.apply(.restoreState(compressed: archive, size: UInt64(archive.count)), at: 2) else {
            Issue.record("a truncated state restored")
            return
        }
        #expect(reason.contains("truncated"))
        #expect(live.kvCount == 0)
        #expect(live.index == 2)
        #expect(live.apply(.kvSet(key: "next", value: [2], flags: 0), at: 3) == .bool(true))
    }

    @Test func undecodableStateChangesNothing() {
        let live = restorable()
        live.apply(.kvSet(key: "a", value: [1], flags: 0), at: 1)
        let before = live.snapshot()
        var garbage = StateStore().snapshot()
        garbage[0] = 99  // unknown format version
        let result = live.apply(.restoreState(compressed: garbage, size: UInt64(garbage.count)), at: 2)
        guard case .failure(let reason) = result else { Issue.record("restore of garbage succeeded"); return }
        #expect(reason.contains("unsupported snapshot version 99"))
        #expect(live.kvGet("a")?.value == [1])
        #expect(Array(live.snapshot().dropFirst(9)) == Array(before.dropFirst(9)))  // same tables (the index moved on)
    }

    /// A replica that cannot inflate refuses alike (deterministically) instead of guessing.
    @Test func replicaWithoutInflaterRefuses() {
        let store = StateStore()
        let result = store.apply(.restoreState(compressed: [1, 2, 3], size: 3), at: 1)
        #expect(result == .failure("snapshot restore: this server cannot inflate snapshot state"))
    }

    @Test func restoreCommandRoundTrips() throws {
        let command = Command.restoreState(compressed: [9, 8, 7, 6], size: 1234)
        #expect(try Command(encoded: command.encoded) == command)
    }

    /// `consul snapshot inspect`'s figures: counts by record type and each key's encoded size.
    @Test func statsCountRecords() throws {
        let store = StateStore()
        store.apply(.kvSet(key: "vault/a", value: Array(repeating: 1, count: 100), flags: 0), at: 1)
        store.apply(.kvSet(key: "vault/b", value: [], flags: 0), at: 2)
        registerWeb(store, at: 3)
        let stats = try StateStore.snapshotStats(store.snapshot())
        let kvs = try #require(stats.rows.first { $0.name == "KVS" })
        #expect(kvs.count == 2)
        #expect(kvs.bytes == (44 + 7 + 100) + (44 + 7))
        #expect(stats.rows.first { $0.name == "Register" }?.count == 2)  // the node and its service
        #expect(stats.keys.map(\.key) == ["vault/a", "vault/b"])
    }
}
