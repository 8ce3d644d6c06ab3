import ConsulAPI
import ConsulState
import Testing

/// A store plus the next index to apply at, as a Raft log or DevBackend would assign it.
final class Harness {
    let store = StateStore()
    @discardableResult
    func apply(_ command: Command) -> Bool {
        guard case .bool(let ok) = store.apply(command, at: store.index + 1) else { return false }
        return ok
    }
    func set(_ key: String, _ value: String = "v", flags: UInt64 = 0) {
        apply(.kvSet(key: key, value: Array(value.utf8), flags: flags))
    }
    func value(_ key: String) -> String? { store.kvGet(key).map { String(decoding: $0.value, as: UTF8.self) } }
}

@Suite("StateStore KV")
struct StateStoreKVTests {
    /// Proves a set stores value and flags, stamped with the applying index as both Create and Modify index.
    @Test func setAndGet() throws {
        let h = Harness()
        #expect(h.store.kvGet("a") == nil)
        #expect(h.apply(.kvSet(key: "a", value: Array("one".utf8), flags: 7)))
        let entry = try #require(h.store.kvGet("a"))
        #expect(entry == KVPair(key: "a", value: Array("one".utf8), flags: 7, createIndex: 1, modifyIndex: 1))
        #expect(h.store.index == 1)
        #expect(h.store.kvTableIndex == 1)
        #expect(h.store.kvCount == 1)
    }

    /// Proves an update keeps CreateIndex, bumps ModifyIndex and replaces flags (reset to the new value).
    @Test func updateKeepsCreateIndex() throws {
        let h = Harness()
        h.set("a", "one", flags: 3)
        h.set("other")
        h.set("a", "two")
        let entry = try #require(h.store.kvGet("a"))
        #expect(entry.createIndex == 1)
        #expect(entry.modifyIndex == 3)
        #expect(entry.flags == 0)
        #expect(h.value("a") == "two")
    }

    /// Proves rewriting identical value and flags is a no-op: ModifyIndex and the table index stay put.
    @Test func identicalRewriteIsNoOp() throws {
        let h = Harness()
        h.set("a", "same", flags: 1)
        #expect(h.apply(.kvSet(key: "a", value: Array("same".utf8), flags: 1)))
        #expect(h.store.index == 2)
        #expect(h.store.kvGet("a")?.modifyIndex == 1)
        #expect(h.store.kvTableIndex == 1)
        // A change of flags alone is a change.
        h.set("a", "same", flags: 2)
        #expect(h.store.kvGet("a")?.modifyIndex == 3)
    }

    /// Proves an empty value is stored (a "folder" key) and a later empty rewrite is still a no-op.
    @Test func emptyValueIsStored() {
        let h = Harness()
        h.set("folder/", "")
        #expect(h.store.kvGet("folder/")?.value == [])
        #expect(h.store.kvGet("folder/")?.modifyIndex == 1)
        h.set("folder/", "")
        #expect(h.store.kvGet("folder/")?.modifyIndex == 1)
    }

    /// Proves CAS with 0 writes only when the key is absent.
    @Test func casZeroOnlyIfAbsent() {
        let h = Harness()
        #expect(h.apply(.kvCAS(key: "a", value: Array("first".utf8), flags: 0, index: 0)))
        #expect(!h.apply(.kvCAS(key: "a", value: Array("second".utf8), flags: 0, index: 0)))
        #expect(h.value("a") == "first")
        #expect(h.store.kvGet("a")?.modifyIndex == 1)
    }

    /// Proves CAS with N writes only when the current ModifyIndex is N, and never creates an absent key.
    @Test func casWithIndex() {
        let h = Harness()
        h.set("a", "one")
        #expect(!h.apply(.kvCAS(key: "a", value: Array("stale".utf8), flags: 0, index: 99)))
        #expect(h.value("a") == "one")
        #expect(h.apply(.kvCAS(key: "a", value: Array("two".utf8), flags: 5, index: 1)))
        #expect(h.value("a") == "two")
        #expect(h.store.kvGet("a")?.modifyIndex == 3)
        #expect(h.store.kvGet("a")?.flags == 5)
        #expect(!h.apply(.kvCAS(key: "a", value: Array("three".utf8), flags: 0, index: 1)))
        #expect(!h.apply(.kvCAS(key: "absent", value: [], flags: 0, index: 3)))
        #expect(h.store.kvGet("absent") == nil)
    }

    /// Proves plain delete removes a key and succeeds for an absent one without touching the table index.
    @Test func deleteKey() {
        let h = Harness()
        h.set("a")
        #expect(h.apply(.kvDelete(key: "a")))
        #expect(h.store.kvGet("a") == nil)
        #expect(h.store.kvTableIndex == 2)
        #expect(h.apply(.kvDelete(key: "never")))
        #expect(h.store.kvTableIndex == 2)
    }

    /// Proves delete-CAS: absent key → true, mismatched index → false, 0 on a present key → false, match → deleted.
    @Test func deleteCAS() {
        let h = Harness()
        #expect(h.apply(.kvDeleteCAS(key: "absent", index: 5)))
        h.set("a")
        #expect(!h.apply(.kvDeleteCAS(key: "a", index: 99)))
        #expect(!h.apply(.kvDeleteCAS(key: "a", index: 0)))
        #expect(h.store.kvGet("a") != nil)
        #expect(h.apply(.kvDeleteCAS(key: "a", index: 2)))
        #expect(h.store.kvGet("a") == nil)
    }

    /// Proves delete-tree removes exactly the keys with the byte prefix, and the empty prefix removes everything.
    @Test func deleteTree() {
        let h = Harness()
        for key in ["foo", "foo/", "foo/a", "foo/b/c", "foobar", "fop"] { h.set(key) }
        #expect(h.apply(.kvDeleteTree(prefix: "foo/")))
        #expect(h.store.kvList(prefix: "").entries.map(\.key) == ["foo", "foobar", "fop"])
        #expect(h.store.kvTableIndex == 7)
        #expect(h.apply(.kvDeleteTree(prefix: "nothing/")))
        #expect(h.store.kvTableIndex == 7)
        #expect(h.apply(.kvDeleteTree(prefix: "")))
        #expect(h.store.kvCount == 0)
    }

    /// Proves listings are in byte order, not Unicode or case-insensitive order.
    @Test func byteOrder() {
        let h = Harness()
        for key in ["b", "é", "a/b", "A", "a", "a-b", "a0", "Z"] { h.set(key) }
        #expect(h.store.kvList(prefix: "").entries.map(\.key) == ["A", "Z", "a", "a-b", "a/b", "a0", "b", "é"])
    }

    /// Proves prefix listing is a plain byte prefix: `foo` matches `foobar` and `foo/`, `foo/` does not match `foo`.
    @Test func prefixListing() {
        let h = Harness()
        for key in ["foo", "foo/", "foo/x", "foobar", "fo", "fop"] { h.set(key) }
        #expect(h.store.kvList(prefix: "foo").entries.map(\.key) == ["foo", "foo/", "foo/x", "foobar"])
        #expect(h.store.kvList(prefix: "foo/").entries.map(\.key) == ["foo/", "foo/x"])
        #expect(h.store.kvList(prefix: "zzz").entries.isEmpty)
        #expect(h.store.kvGet("foo/") != nil && h.store.kvGet("foo") != nil)
    }

    /// Proves kvKeys cuts at the first separator after the prefix, keeps the separator and collapses duplicates.
    @Test func keysWithSeparator() {
        let h = Harness()
        for key in ["a", "b/", "b/c", "b/d/e", "b/d/f", "c/x/y", "cc"] { h.set(key) }
        #expect(h.store.kvKeys(prefix: "", separator: "/").keys == ["a", "b/", "c/", "cc"])
        #expect(h.store.kvKeys(prefix: "b/", separator: "/").keys == ["b/", "b/c", "b/d/"])
        #expect(h.store.kvKeys(prefix: "b", separator: "/").keys == ["b/"])
        #expect(h.store.kvKeys(prefix: "", separator: "").keys == ["a", "b/", "b/c", "b/d/e", "b/d/f", "c/x/y", "cc"])
        #expect(h.store.kvKeys(prefix: "", separator: "/d/").keys == ["a", "b/", "b/c", "b/d/", "c/x/y", "cc"])
        #expect(h.store.kvKeys(prefix: "nope", separator: "/").keys.isEmpty)
    }

    /// Proves a list's index counts deletes (tombstones), so it never goes backwards after a delete.
    @Test func listIndexIncludesTombstones() {
        let h = Harness()
        h.set("a/1")        // 1
        h.set("a/2")        // 2
        h.set("b")          // 3
        #expect(h.store.kvList(prefix: "a/").index == 2)
        h.apply(.kvDelete(key: "a/2"))                     // 4
        #expect(h.store.kvList(prefix: "a/").index == 4)
        #expect(h.store.kvKeys(prefix: "a/", separator: "").index == 4)
        h.apply(.kvDeleteTree(prefix: "a/"))                // 5
        #expect(h.store.kvList(prefix: "a/").index == 5)
        #expect(h.store.kvList(prefix: "a/").entries.isEmpty)
        // A tombstone outside the prefix does not move it.
        h.set("c/1")                                       // 6
        h.apply(.kvDelete(key: "b"))                       // 7
        #expect(h.store.kvList(prefix: "c/").index == 6)
        // Re-creating a deleted key replaces its tombstone with a live entry.
        h.set("a/2")                                       // 8
        #expect(h.store.kvList(prefix: "a/").index == 8)
    }

    /// Proves an absent key, and a prefix with neither entries nor tombstones, report the table index.
    @Test func absentKeyIndexIsTableIndex() {
        let h = Harness()
        #expect(h.store.kvKeyIndex("x") == 0)
        h.set("a")
        h.set("b")
        #expect(h.store.kvKeyIndex("missing") == 2)
        #expect(h.store.kvKeyIndex("a") == 1)
        h.apply(.kvDelete(key: "b"))
        #expect(h.store.kvKeyIndex("missing") == 3)
        #expect(h.store.kvKeyIndex("b") == 3)
        #expect(h.store.kvList(prefix: "zzz/").index == 3)
        // A failed CAS changes nothing, so the table index stays.
        h.apply(.kvCAS(key: "a", value: [], flags: 0, index: 0))
        #expect(h.store.kvKeyIndex("missing") == 3)
    }
}
