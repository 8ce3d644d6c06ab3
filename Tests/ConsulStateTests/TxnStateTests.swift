import ConsulAPI
import ConsulState
import Testing

/// A transaction's answer: whether it applied, and the `{"Results":…,"Errors":…}` document.
struct TxnAnswer {
    let ok: Bool
    let json: JSONValue

    init(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case .json(let ok, let body) = result else {
            Issue.record("txn did not answer JSON: \(result)", sourceLocation: sourceLocation)
            throw TxnAnswerError.notJSON
        }
        self.ok = ok
        json = try JSONParser.parse(body)
    }

    var resultsAreNull: Bool { json["Results"]?.isNull == true }
    var errorsAreNull: Bool { json["Errors"]?.isNull == true }
    var results: [JSONValue] { json["Results"]?.arrayValue ?? [] }
    /// Each failure as `"<OpIndex>: <What>"`.
    var errors: [String] {
        (json["Errors"]?.arrayValue ?? []).map { e in
            "\(e["OpIndex"]?.int64Value.map(String.init) ?? "?"): \(e["What"]?.stringValue ?? "?")"
        }
    }
    /// The KV entry of result `i` (nil when that result is not a KV one).
    func kv(_ i: Int) -> KVPair? { results.indices.contains(i) ? results[i]["KV"].flatMap { KVPair(json: $0) } : nil }
    /// The member names of each result (`KV`, `Node`, `Service`, `Check`).
    var kinds: [String] { results.map { $0.objectValue?.map(\.0).joined(separator: ",") ?? "?" } }
}

enum TxnAnswerError: Error { case notJSON }

private func kv(_ verb: String, _ key: String, _ value: String = "", flags: UInt64 = 0, index: UInt64 = 0,
                session: String = "") -> TxnOp {
    .kv(verb: verb, key: key, value: Array(value.utf8), flags: flags, index: index, session: session)
}

private func node(_ verb: String, _ name: String, address: String = "10.0.0.9", modifyIndex: UInt64 = 0) -> TxnOp {
    var n = CatalogNode()
    n.node = name
    n.address = address
    n.datacenter = "dc1"
    n.modifyIndex = modifyIndex
    return .node(verb: verb, node: n)
}

private func service(_ verb: String, on nodeName: String, _ id: String, port: Int = 80, modifyIndex: UInt64 = 0) -> TxnOp {
    var s = NodeService()
    s.id = id
    s.service = "svc-\(id)"
    s.port = port
    s.modifyIndex = modifyIndex
    return .service(verb: verb, node: nodeName, service: s)
}

private func check(_ verb: String, on nodeName: String, _ id: String, status: String = "passing", serviceID: String = "",
                   modifyIndex: UInt64 = 0) -> TxnOp {
    var c = HealthCheck()
    c.node = nodeName
    c.checkID = id
    c.name = id
    c.status = status
    c.serviceID = serviceID
    c.modifyIndex = modifyIndex
    return .check(verb: verb, check: c)
}

extension SessionHarness {
    func txn(_ ops: [TxnOp], sourceLocation: SourceLocation = #_sourceLocation) throws -> TxnAnswer {
        try TxnAnswer(apply(.txn(ops)), sourceLocation: sourceLocation)
    }
    /// The whole replicated state without the leading format byte and applied index.
    var stateBytes: [UInt8] { Array(store.snapshot().dropFirst(9)) }
}

@Suite("Transactions in the state store")
struct TxnStateTests {
    // MARK: KV verbs

    /// Proves `set` writes like a PUT and answers the entry with `Value: null`; `cas` writes only on a matching index.
    @Test func setAndCas() throws {
        let h = SessionHarness()
        let set = try h.txn([kv("set", "a", "one", flags: 4)])
        #expect(set.ok)
        #expect(set.errorsAreNull)
        #expect(set.results.count == 1)
        #expect(set.results[0]["KV"]?["Value"]?.isNull == true)
        #expect(set.kv(0) == KVPair(key: "a", flags: 4, createIndex: h.store.index, modifyIndex: h.store.index))
        #expect(h.value("a") == "one")

        let created = h.store.index
        let casOK = try h.txn([kv("cas", "a", "two", index: created), kv("cas", "fresh", "x", index: 0)])
        #expect(casOK.ok)
        #expect(casOK.kv(0)?.modifyIndex == h.store.index)
        #expect(casOK.kv(0)?.createIndex == created)
        #expect(casOK.kv(1)?.key == "fresh")
        #expect(h.value("a") == "two")

        let stale = try h.txn([kv("cas", "a", "three", index: created)])
        #expect(!stale.ok)
        #expect(stale.resultsAreNull)
        #expect(stale.errors == ["0: failed to set key \"a\", index is stale"])
        let absentNonZero = try h.txn([kv("cas", "nope", "x", index: 5)])
        #expect(absentNonZero.errors == ["0: failed to set key \"nope\", index is stale"])
        let presentZero = try h.txn([kv("cas", "a", "x", index: 0)])
        #expect(presentZero.errors == ["0: failed to set key \"a\", index is stale"])
        #expect(h.value("a") == "two")
        #expect(h.store.kvGet("nope") == nil)
    }

    /// Proves `lock`/`unlock` follow the lock rules with Consul's failure texts.
    @Test func lockAndUnlock() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.create("s2")
        let locked = try h.txn([kv("lock", "k", "held", session: "s1")])
        #expect(locked.ok)
        #expect(locked.kv(0)?.session == "s1")
        #expect(locked.kv(0)?.lockIndex == 1)
        #expect(locked.results[0]["KV"]?["Value"]?.isNull == true)
        #expect(h.holder("k") == "s1")
        #expect(h.value("k") == "held")

        let other = try h.txn([kv("lock", "k", "x", session: "s2")])
        #expect(other.errors == ["0: failed to lock key \"k\", lock is already held"])
        let invalid = try h.txn([kv("lock", "k2", "x", session: "nope")])
        #expect(!invalid.ok)
        #expect(invalid.errors.count == 1)
        #expect(invalid.errors.first?.contains("invalid session \"nope\"") == true)
        #expect(h.store.kvGet("k2") == nil)

        let notHolder = try h.txn([kv("unlock", "k", "x", session: "s2")])
        #expect(notHolder.errors == ["0: failed to unlock key \"k\", lock isn't held, or is held by another session"])
        let absent = try h.txn([kv("unlock", "absent", "x", session: "s1")])
        #expect(absent.errors == ["0: failed to unlock key \"absent\", lock isn't held, or is held by another session"])

        let unlocked = try h.txn([kv("unlock", "k", "after", session: "s1")])
        #expect(unlocked.ok)
        #expect(unlocked.kv(0)?.session == "")
        #expect(unlocked.kv(0)?.lockIndex == 1)
        #expect(h.holder("k") == "")
        #expect(h.value("k") == "after")

        // A txn lock is a real lock: destroying the session releases it.
        _ = try h.txn([kv("lock", "k", "again", session: "s2")])
        #expect(h.store.kvGet("k")?.lockIndex == 2)
        h.apply(.sessionDestroy(id: "s2"))
        #expect(h.holder("k") == "")
        #expect(h.value("k") == "again")
    }

    /// Proves `get` returns the value, `get-tree` every entry under the prefix in key order, with Consul's texts when missing.
    @Test func getAndGetTree() throws {
        let h = SessionHarness()
        h.apply(.kvSet(key: "t/b", value: Array("B".utf8), flags: 2))
        h.apply(.kvSet(key: "t/a", value: Array("A".utf8), flags: 1))
        h.apply(.kvSet(key: "u", value: Array("U".utf8), flags: 0))
        let got = try h.txn([kv("get", "t/a"), kv("get-tree", "t/"), kv("get-tree", "none/")])
        #expect(got.ok)
        #expect(got.kinds == ["KV", "KV", "KV"])
        #expect(got.kv(0) == h.store.kvGet("t/a"))
        #expect(got.results[0]["KV"]?["Value"]?.stringValue == "QQ==")
        #expect(got.kv(1) == h.store.kvGet("t/a"))
        #expect(got.kv(2) == h.store.kvGet("t/b"))

        let missing = try h.txn([kv("get", "nope")])
        #expect(!missing.ok)
        #expect(missing.errors == ["0: key \"nope\" doesn't exist"])
        // An empty tree is neither a result nor an error.
        let empty = try h.txn([kv("get-tree", "none/")])
        #expect(empty.ok)
        #expect(empty.resultsAreNull)
        #expect(empty.errorsAreNull)
    }

    /// Proves `check-index`, `check-session` and `check-not-exists` with each of their failure texts.
    @Test func checks() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.apply(.kvSet(key: "k", value: [1], flags: 0))
        let index = h.store.kvGet("k")!.modifyIndex
        h.lock("locked", "s1")

        let ok = try h.txn([kv("check-index", "k", index: index), kv("check-session", "locked", session: "s1"),
                            kv("check-session", "k"), kv("check-not-exists", "absent")])
        #expect(ok.ok)
        // Checks answer the entry (without value); check-not-exists answers nothing.
        #expect(ok.kinds == ["KV", "KV", "KV"])
        #expect(ok.kv(0)?.key == "k")
        #expect(ok.results[0]["KV"]?["Value"]?.isNull == true)
        #expect(ok.kv(1)?.session == "s1")

        let failures = try h.txn([
            kv("check-index", "absent", index: 1),
            kv("check-index", "k", index: index + 100),
            kv("check-session", "absent", session: "s1"),
            kv("check-session", "k", session: "s1"),
            kv("check-session", "locked", session: "other"),
            kv("check-not-exists", "k"),
        ])
        #expect(!failures.ok)
        #expect(failures.resultsAreNull)
        #expect(failures.errors == [
            "0: failed to check index, key \"absent\" doesn't exist",
            "1: failed index check for key \"k\", current modify index \(index) != \(index + 100)",
            "2: failed to check session, key \"absent\" doesn't exist",
            "3: failed session check for key \"k\", current session \"\" != \"s1\"",
            "4: failed session check for key \"locked\", current session \"s1\" != \"other\"",
            "5: key \"k\" exists",
        ])
    }

    /// Proves `delete`, `delete-tree` and `delete-cas` answer no result rows, and delete-cas's stale text.
    @Test func deletes() throws {
        let h = SessionHarness()
        for key in ["a", "t/1", "t/2", "tx", "c"] { h.apply(.kvSet(key: key, value: [1], flags: 0)) }
        let cIndex = h.store.kvGet("c")!.modifyIndex
        let stale = try h.txn([kv("delete-cas", "c", index: cIndex + 1)])
        #expect(stale.errors == ["0: failed to delete key \"c\", index is stale"])
        let zero = try h.txn([kv("delete-cas", "c", index: 0)])
        #expect(zero.errors == ["0: failed to delete key \"c\", index is stale"])
        #expect(h.store.kvGet("c") != nil)

        let deleted = try h.txn([kv("delete", "a"), kv("delete-tree", "t/"), kv("delete-cas", "c", index: cIndex),
                                 kv("delete", "never-there"), kv("delete-cas", "never-there", index: 3)])
        #expect(deleted.ok)
        #expect(deleted.resultsAreNull)
        #expect(deleted.errorsAreNull)
        #expect(h.store.kvGet("a") == nil)
        #expect(h.store.kvGet("t/1") == nil)
        #expect(h.store.kvGet("t/2") == nil)
        #expect(h.store.kvGet("tx") != nil)
        #expect(h.store.kvGet("c") == nil)
        #expect(h.store.kvList(prefix: "t/").index == h.store.index)
    }

    /// Proves an unknown verb of any kind is a failing operation with Consul's text.
    @Test func unknownVerbs() throws {
        let h = SessionHarness()
        h.register()
        let answer = try h.txn([kv("frob", "k"), node("frob", "n1"), service("frob", on: "n1", "web"),
                                check("frob", on: "n1", "c")])
        #expect(answer.errors == ["0: unknown KV verb \"frob\"", "1: unknown Node verb \"frob\"",
                                  "2: unknown Service verb \"frob\"", "3: unknown Check verb \"frob\""])
    }

    // MARK: Catalog verbs

    /// Proves Node set/cas/get/delete/delete-cas, with results and failure texts.
    @Test func nodeVerbs() throws {
        let h = SessionHarness()
        let set = try h.txn([node("set", "n9", address: "10.0.0.9")])
        #expect(set.ok)
        #expect(set.kinds == ["Node"])
        #expect(set.results[0]["Node"]?["Node"]?.stringValue == "n9")
        #expect(set.results[0]["Node"]?["Address"]?.stringValue == "10.0.0.9")
        let created = try #require(h.store.catalogNode("n9").node)
        #expect(created.address == "10.0.0.9")
        #expect(created.modifyIndex == h.store.index)

        let get = try h.txn([node("get", "n9")])
        #expect(get.results[0]["Node"]?["ModifyIndex"]?.uint64Value == created.modifyIndex)
        #expect(try h.txn([node("get", "nope")]).errors == ["0: node \"nope\" doesn't exist"])

        #expect(try h.txn([node("cas", "n9", address: "10.0.0.10", modifyIndex: created.modifyIndex + 1)]).errors
                == ["0: failed to set node \"n9\", index is stale"])
        #expect(try h.txn([node("cas", "n9", address: "10.0.0.10", modifyIndex: 0)]).errors
                == ["0: failed to set node \"n9\", index is stale"])
        #expect(h.store.catalogNode("n9").node?.address == "10.0.0.9")
        let cas = try h.txn([node("cas", "n9", address: "10.0.0.10", modifyIndex: created.modifyIndex),
                             node("cas", "n10", address: "10.0.0.11", modifyIndex: 0)])
        #expect(cas.ok)
        #expect(cas.kinds == ["Node", "Node"])
        #expect(h.store.catalogNode("n9").node?.address == "10.0.0.10")
        #expect(h.store.catalogNode("n10").node != nil)

        let current = h.store.catalogNode("n9").node!.modifyIndex
        #expect(try h.txn([node("delete-cas", "n9", modifyIndex: current + 1)]).errors
                == ["0: failed to delete node \"n9\", index is stale"])
        #expect(h.store.catalogNode("n9").node != nil)
        let deleted = try h.txn([node("delete-cas", "n9", modifyIndex: current), node("delete", "n10")])
        #expect(deleted.ok)
        #expect(deleted.resultsAreNull)
        #expect(h.store.catalogNode("n9").node == nil)
        #expect(h.store.catalogNode("n10").node == nil)
    }

    /// Proves Service set/cas/get/delete/delete-cas, with results and failure texts.
    @Test func serviceVerbs() throws {
        let h = SessionHarness()
        h.register("n1")
        let set = try h.txn([service("set", on: "n1", "web", port: 80)])
        #expect(set.ok)
        #expect(set.kinds == ["Service"])
        #expect(set.results[0]["Service"]?["ID"]?.stringValue == "web")
        #expect(set.results[0]["Service"]?["Port"]?.int64Value == 80)
        #expect(h.store.serviceNodes("svc-web").rows.map(\.node.node) == ["n1"])
        let index = h.store.serviceNodes("svc-web").rows[0].service.modifyIndex

        #expect(try h.txn([service("get", on: "n1", "web")]).results.first?["Service"]?["ModifyIndex"]?.uint64Value == index)
        #expect(try h.txn([service("get", on: "n1", "nope")]).errors == ["0: service \"nope\" on node \"n1\" doesn't exist"])
        #expect(try h.txn([service("cas", on: "n1", "web", port: 81, modifyIndex: index + 1)]).errors
                == ["0: failed to set service \"web\" on node \"n1\", index is stale"])
        #expect(try h.txn([service("cas", on: "n1", "web", port: 81, modifyIndex: index)]).ok)
        #expect(h.store.serviceNodes("svc-web").rows[0].service.port == 81)
        let current = h.store.serviceNodes("svc-web").rows[0].service.modifyIndex
        #expect(try h.txn([service("delete-cas", on: "n1", "web", modifyIndex: current + 1)]).errors
                == ["0: failed to delete service \"web\" on node \"n1\", index is stale"])
        #expect(try h.txn([service("delete-cas", on: "n1", "web", modifyIndex: current)]).resultsAreNull)
        #expect(h.store.serviceNodes("svc-web").rows.isEmpty)
        _ = try h.txn([service("set", on: "n1", "db")])
        #expect(try h.txn([service("delete", on: "n1", "db")]).ok)
        #expect(h.store.serviceNodes("svc-db").rows.isEmpty)
        // A service needs its node.
        let orphan = try h.txn([service("set", on: "ghost", "web")])
        #expect(!orphan.ok)
        #expect(orphan.errors.count == 1)
        #expect(h.store.catalogNode("ghost").node == nil)
    }

    /// Proves Check set/cas/get/delete/delete-cas, with results and failure texts.
    @Test func checkVerbs() throws {
        let h = SessionHarness()
        h.register("n1", checks: [])
        let set = try h.txn([check("set", on: "n1", "disk", status: "warning")])
        #expect(set.ok)
        #expect(set.kinds == ["Check"])
        #expect(set.results[0]["Check"]?["Status"]?.stringValue == "warning")
        let stored = try #require(h.store.nodeChecks("n1").checks.first)
        #expect(stored.checkID == "disk")
        #expect(stored.status == "warning")

        #expect(try h.txn([check("get", on: "n1", "disk")]).results.first?["Check"]?["CheckID"]?.stringValue == "disk")
        #expect(try h.txn([check("get", on: "n1", "nope")]).errors == ["0: check \"nope\" on node \"n1\" doesn't exist"])
        #expect(try h.txn([check("cas", on: "n1", "disk", status: "passing", modifyIndex: stored.modifyIndex + 1)]).errors
                == ["0: failed to set check \"disk\" on node \"n1\", index is stale"])
        #expect(try h.txn([check("cas", on: "n1", "disk", status: "passing", modifyIndex: stored.modifyIndex)]).ok)
        let current = try #require(h.store.nodeChecks("n1").checks.first)
        #expect(current.status == "passing")
        #expect(try h.txn([check("delete-cas", on: "n1", "disk", modifyIndex: current.modifyIndex + 1)]).errors
                == ["0: failed to delete check \"disk\" on node \"n1\", index is stale"])
        #expect(try h.txn([check("delete-cas", on: "n1", "disk", modifyIndex: current.modifyIndex)]).ok)
        #expect(h.store.nodeChecks("n1").checks.isEmpty)
        _ = try h.txn([check("set", on: "n1", "mem")])
        #expect(try h.txn([check("delete", on: "n1", "mem")]).resultsAreNull)
        #expect(h.store.nodeChecks("n1").checks.isEmpty)
    }

    /// Proves later operations see what earlier ones of the same transaction did (node, then its service and check).
    @Test func operationsSeeEarlierOnes() throws {
        let h = SessionHarness()
        let answer = try h.txn([node("set", "n9"), service("set", on: "n9", "web"),
                                check("set", on: "n9", "web-alive", serviceID: "web"), kv("set", "k", "v"),
                                kv("check-index", "k", index: h.store.index + 1), node("get", "n9")])
        #expect(answer.ok)
        #expect(answer.errors.isEmpty)
        #expect(answer.kinds == ["Node", "Service", "Check", "KV", "KV", "Node"])
        #expect(h.store.serviceHealth("svc-web").rows.first?.checks.map(\.checkID) == ["web-alive"])
    }

    // MARK: All or nothing

    /// Proves one failing op leaves NOTHING applied — KV, tombstones, catalog, sessions, locks, every index — and every failure is reported.
    @Test func failureAppliesNothing() throws {
        let h = SessionHarness()
        h.register("n1")
        h.register("n2")
        h.create("s1")
        h.create("s2", node: "n2")
        h.apply(.kvSet(key: "keep", value: Array("old".utf8), flags: 0))
        h.apply(.kvSet(key: "tree/a", value: [1], flags: 0))
        h.lock("held", "s1", "locked")
        let before = h.stateBytes
        let kvIndex = h.store.kvTableIndex
        let nodesIndex = h.store.catalogNodes().index
        let sessionsIndex = h.store.sessionsIndex

        let answer = try h.txn([
            kv("set", "keep", "new"),
            kv("set", "brand-new", "x"),
            kv("delete-tree", "tree/"),
            kv("lock", "lockme", "x", session: "s1"),
            kv("unlock", "held", "gone", session: "s1"),
            node("set", "n9"),
            node("delete", "n2"),
            check("set", on: "n1", "serfHealth", status: "critical"),
            kv("cas", "keep", "y", index: 999),             // fails: index 8
            kv("get", "missing"),                           // fails: index 9
            kv("set", "after-failure", "z"),
        ])
        #expect(!answer.ok)
        #expect(answer.resultsAreNull)
        #expect(answer.errors == ["8: failed to set key \"keep\", index is stale", "9: key \"missing\" doesn't exist"])
        let unchanged = h.stateBytes == before
        #expect(unchanged, "the failed txn changed the replicated state")
        #expect(h.store.kvTableIndex == kvIndex)
        #expect(h.store.catalogNodes().index == nodesIndex)
        #expect(h.store.sessionsIndex == sessionsIndex)
        #expect(h.value("keep") == "old")
        #expect(h.store.kvGet("brand-new") == nil)
        #expect(h.store.kvGet("tree/a") != nil)
        #expect(h.store.kvGet("lockme") == nil)
        #expect(h.holder("held") == "s1")
        #expect(h.value("held") == "locked")
        #expect(h.store.catalogNode("n9").node == nil)
        #expect(h.store.catalogNode("n2").node != nil)
        // The critical serfHealth and the node delete were undone, so no session was invalidated.
        #expect(h.sessionIDs == ["s1", "s2"])
        #expect(!h.store.lockDelayed("held"))
        // The rolled-back lock really is gone: another session takes the key, and the undone
        // unlock left s1 holding `held` (its destroy still releases it).
        #expect(h.lock("lockme", "s2") == .bool(true))
        h.apply(.sessionDestroy(id: "s1"))
        #expect(h.holder("held") == "")
        #expect(h.value("held") == "locked")
    }

    /// Proves a successful txn that deletes a node, or makes a bound check critical, invalidates sessions like a catalog write.
    @Test func successfulCatalogChangeInvalidatesSessions() throws {
        let h = SessionHarness()
        h.register("n1")
        h.register("n2")
        h.create("on-n1")
        h.create("on-n2", node: "n2")
        h.lock("a", "on-n1")
        h.lock("b", "on-n2")
        #expect(try h.txn([node("delete", "n2")]).ok)
        #expect(h.sessionIDs == ["on-n1"])
        #expect(h.holder("b") == "")
        #expect(try h.txn([check("set", on: "n1", "serfHealth", status: "critical")]).ok)
        #expect(h.sessionIDs.isEmpty)
        #expect(h.holder("a") == "")
    }

    /// Proves results come in op order, delete verbs add no row, and write verbs carry `Value: null` while get carries the value.
    @Test func resultsOrderAndNullValues() throws {
        let h = SessionHarness()
        let answer = try h.txn([
            kv("set", "b", "B"),
            kv("delete", "zzz"),
            kv("set", "a", "A"),
            kv("get", "b"),
            kv("delete", "a"),
            kv("get-tree", ""),
            kv("cas", "c", "C", index: 0),
        ])
        #expect(answer.ok)
        #expect(answer.results.map { $0["KV"]?["Key"]?.stringValue ?? "?" } == ["b", "a", "b", "b", "c"])
        let values = answer.results.map { $0["KV"]?["Value"] ?? .string("missing") }
        #expect(values == [.null, .null, .string("Qg=="), .string("Qg=="), .null])
        // Session is omitted when unlocked, as in KV reads.
        #expect(answer.results[0]["KV"]?["Session"] == nil)
    }

    /// Proves the leader's pre-check refuses a txn `lock` inside a lock-delay with Consul's text (every delayed op, by OpIndex), and passes once it runs out.
    @Test func lockDelayRefusal() throws {
        let h = SessionHarness()
        h.register()
        h.create("old", lockDelay: 2_000_000_000)
        h.create("new")
        h.lock("k", "old")
        h.lock("k2", "old")
        h.apply(.sessionDestroy(id: "old"))
        let ops = [kv("set", "x", "1"), kv("lock", "k", session: "new"), kv("lock", "free", session: "new"),
                   kv("lock", "k2", session: "new"), kv("get", "k")]
        let refused = try TxnAnswer(try #require(h.store.lockDelayRefusal(ops)))
        #expect(!refused.ok)
        #expect(refused.resultsAreNull)
        #expect(refused.errors == ["1: failed to lock key \"k\" due to lock delay", "3: failed to lock key \"k2\" due to lock delay"])
        // Only lock verbs are judged: a set or check of a delayed key passes.
        #expect(h.store.lockDelayRefusal([kv("set", "k", "v"), kv("get", "k"), kv("unlock", "k", session: "new")]) == nil)
        h.now += 2_000_000_000
        #expect(h.store.lockDelayRefusal(ops) == nil)
        #expect(try h.txn(ops).ok)
        #expect(h.holder("k") == "new")
    }

    // MARK: Read-only

    /// Proves readTxn answers reads (and read failures with their OpIndex) without changing state or the index.
    @Test func readTxnChangesNothing() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.lock("k", "s1", "value")
        let snapshot = h.store.snapshot()
        let index = h.store.index
        let answer = try TxnAnswer(h.store.readTxn([kv("get", "k"), kv("check-session", "k", session: "s1"),
                                                    kv("get-tree", ""), kv("check-not-exists", "nope")]))
        #expect(answer.ok)
        #expect(answer.kinds == ["KV", "KV", "KV"])
        #expect(answer.kv(0)?.value == Array("value".utf8))
        let failed = try TxnAnswer(h.store.readTxn([kv("get", "k"), kv("get", "nope"), kv("check-index", "k", index: 1)]))
        #expect(!failed.ok)
        #expect(failed.resultsAreNull)
        #expect(failed.errors == ["1: key \"nope\" doesn't exist",
                                  "2: failed index check for key \"k\", current modify index \(h.store.kvGet("k")!.modifyIndex) != 1"])
        #expect(h.store.snapshot() == snapshot)
        #expect(h.store.index == index)
    }
}
