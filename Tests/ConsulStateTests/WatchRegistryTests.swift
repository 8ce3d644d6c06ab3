import ConsulAPI
import ConsulState
import Testing

/// Counts how often each named watcher fired.
final class Fired {
    var counts: [String: Int] = [:]
    func callback(_ name: String) -> () -> Void { { [self] in counts[name, default: 0] += 1 } }
    subscript(name: String) -> Int { counts[name] ?? 0 }
}

@Suite("WatchRegistry via StateStore")
struct WatchRegistryTests {
    /// Proves a key watcher is woken by a write to its key only, never by a write to another key.
    @Test func keyWatcherIgnoresOtherKeys() {
        let h = Harness()
        let fired = Fired()
        _ = h.store.watches.register([.kvKey("a")], fired.callback("a"))
        h.set("b")
        h.set("ab")
        h.set("a/")
        #expect(fired["a"] == 0)
        h.set("a")
        #expect(fired["a"] == 1)
        #expect(h.store.watches.count == 0)
    }

    /// Proves a prefix watcher is woken by a key under it, and not by a key outside it.
    @Test func prefixWatcherWokenByKeyUnderIt() {
        let h = Harness()
        let fired = Fired()
        _ = h.store.watches.register([.kvPrefix("foo/")], fired.callback("p"))
        h.set("foo")
        h.set("fop/x")
        #expect(fired["p"] == 0)
        h.set("foo/bar/baz")
        #expect(fired["p"] == 1)
    }

    /// Proves delete-tree wakes watchers of a parent prefix, of a child prefix and of keys under it.
    @Test func deleteTreeWakesRelatedWatchers() {
        let h = Harness()
        for key in ["foo/a", "foo/b/c", "other"] { h.set(key) }
        let fired = Fired()
        _ = h.store.watches.register([.kvPrefix("foo/")], fired.callback("same"))
        _ = h.store.watches.register([.kvPrefix("foo/b/")], fired.callback("child"))
        _ = h.store.watches.register([.kvPrefix("")], fired.callback("root"))
        _ = h.store.watches.register([.kvKey("foo/a")], fired.callback("key"))
        _ = h.store.watches.register([.kvPrefix("other")], fired.callback("unrelated"))
        _ = h.store.watches.register([.kvKey("other")], fired.callback("unrelatedKey"))
        h.apply(.kvDeleteTree(prefix: "f"))
        #expect(fired.counts == ["same": 1, "child": 1, "root": 1, "key": 1])
    }

    /// Proves deleting a key wakes its watcher; deleting an absent key wakes nobody.
    @Test func deleteWakesKeyWatcher() {
        let h = Harness()
        h.set("a")
        let fired = Fired()
        _ = h.store.watches.register([.kvKey("a")], fired.callback("a"))
        _ = h.store.watches.register([.kvKey("ghost")], fired.callback("ghost"))
        h.apply(.kvDelete(key: "ghost"))
        h.apply(.kvDeleteCAS(key: "ghost", index: 0))
        #expect(fired["ghost"] == 0)
        h.apply(.kvDelete(key: "a"))
        #expect(fired["a"] == 1)
    }

    /// Proves writes that change nothing (identical rewrite, failed CAS, failed delete-CAS) wake nobody.
    @Test func noOpWritesWakeNobody() {
        let h = Harness()
        h.set("a", "v")
        let fired = Fired()
        _ = h.store.watches.register([.kvKey("a"), .kvPrefix("")], fired.callback("a"))
        h.set("a", "v")
        h.apply(.kvCAS(key: "a", value: [1], flags: 0, index: 0))
        h.apply(.kvDeleteCAS(key: "a", index: 99))
        h.apply(.kvDeleteTree(prefix: "zzz"))
        #expect(fired["a"] == 0)
        #expect(h.store.watches.count == 1)
    }

    /// Proves a cancelled watcher never fires and is forgotten.
    @Test func cancelledWatcherNeverFires() {
        let h = Harness()
        let fired = Fired()
        let token = h.store.watches.register([.kvKey("a"), .kvPrefix("a")], fired.callback("a"))
        _ = h.store.watches.register([.kvKey("a")], fired.callback("kept"))
        #expect(h.store.watches.count == 2)
        h.store.watches.cancel(token)
        #expect(h.store.watches.count == 1)
        h.set("a")
        h.apply(.kvDeleteTree(prefix: ""))
        #expect(fired["a"] == 0)
        #expect(fired["kept"] == 1)
        // Cancelling twice is harmless.
        h.store.watches.cancel(token)
    }

    /// Proves each waiter fires once: even when a write matches several of its scopes, and never again after.
    @Test func eachWaiterFiresOnce() {
        let h = Harness()
        let fired = Fired()
        _ = h.store.watches.register([.kvKey("a/b"), .kvPrefix("a/"), .kvPrefix("")], fired.callback("multi"))
        _ = h.store.watches.register([.kvKey("a/b")], fired.callback("second"))
        h.set("a/b", "1")
        #expect(fired.counts == ["multi": 1, "second": 1])
        h.set("a/b", "2")
        h.apply(.kvDeleteTree(prefix: "a/"))
        #expect(fired.counts == ["multi": 1, "second": 1])
        #expect(h.store.watches.count == 0)
    }

    /// Proves callbacks run after the write is applied, so a woken query reads the new state.
    @Test func callbackSeesNewState() {
        let h = Harness()
        h.set("a", "old")
        var seen: [String?] = []
        _ = h.store.watches.register([.kvKey("a")]) { seen.append(h.value("a")) }
        h.set("a", "new")
        #expect(seen == ["new"])
    }

    /// Proves a callback may register a new watcher, which then waits for the next change only.
    @Test func callbackMayReRegister() {
        let h = Harness()
        var wakes = 0
        func wait() { _ = h.store.watches.register([.kvKey("a")]) { wakes += 1; if wakes < 3 { wait() } } }
        wait()
        h.set("a", "1")
        #expect(wakes == 1)
        h.set("a", "2")
        h.set("a", "3")
        h.set("a", "4")
        #expect(wakes == 3)
        #expect(h.store.watches.count == 0)
    }
}
