import ConsulAPI
import ConsulState
import Testing

private let second: UInt64 = 1_000_000_000

/// A store on a fake monotonic clock, with helpers for nodes, checks, sessions and locks.
/// Commands are applied at the next index, as a Raft log or DevBackend would assign it.
final class SessionHarness {
    let store = StateStore()
    /// The fake `monotonicNow` (nanoseconds); only lock-delays and TTL clocks read it.
    var now: UInt64 = 1_000 * second

    init() {
        store.monotonicNow = { [unowned self] in self.now }
    }

    @discardableResult
    func apply(_ command: Command) -> CommandResult { store.apply(command, at: store.index + 1) }

    /// Registers (or updates) `node` with node-level checks `(id, status)` and optionally one
    /// service with its own checks.
    @discardableResult
    func register(_ node: String = "n1", checks: [(String, String)] = [("serfHealth", "passing")],
                  service: String? = nil, serviceChecks: [(String, String)] = []) -> CommandResult {
        var r = RegisterRequest()
        r.node.node = node
        r.node.address = "10.0.0.1"
        for (id, status) in checks {
            var c = HealthCheck()
            c.checkID = id
            c.name = id
            c.status = status
            r.checks.append(c)
        }
        if let service {
            var s = NodeService()
            s.service = service
            s.id = service
            r.service = s
            for (id, status) in serviceChecks {
                var c = HealthCheck()
                c.checkID = id
                c.name = id
                c.status = status
                c.serviceID = service
                r.checks.append(c)
            }
        }
        return apply(.catalogRegister(r))
    }

    /// Sets one existing check's status (a catalog update of that check alone).
    @discardableResult
    func setCheck(_ id: String, _ status: String, node: String = "n1", serviceID: String = "") -> CommandResult {
        var r = RegisterRequest()
        r.node.node = node
        r.skipNodeUpdate = true
        var c = HealthCheck()
        c.checkID = id
        c.name = id
        c.status = status
        c.serviceID = serviceID
        r.checks = [c]
        return apply(.catalogRegister(r))
    }

    static func session(_ id: String, node: String = "n1", ttl: String = "", lockDelay: UInt64 = 15 * second,
                        behavior: Session.Behavior = .release, nodeChecks: [String] = ["serfHealth"],
                        serviceChecks: [String] = []) -> Session {
        var s = Session()
        s.id = id
        s.name = "name-\(id)"
        s.node = node
        s.ttl = ttl
        s.lockDelay = lockDelay
        s.behavior = behavior
        s.nodeChecks = nodeChecks
        s.serviceChecks = serviceChecks.map { Session.ServiceCheck(id: $0) }
        return s
    }

    @discardableResult
    func create(_ s: Session) -> CommandResult { apply(.sessionCreate(s)) }

    @discardableResult
    func create(_ id: String, node: String = "n1", ttl: String = "", lockDelay: UInt64 = 15 * second,
                behavior: Session.Behavior = .release, nodeChecks: [String] = ["serfHealth"],
                serviceChecks: [String] = []) -> CommandResult {
        create(SessionHarness.session(id, node: node, ttl: ttl, lockDelay: lockDelay, behavior: behavior,
                                      nodeChecks: nodeChecks, serviceChecks: serviceChecks))
    }

    @discardableResult
    func lock(_ key: String, _ session: String, _ value: String = "v", flags: UInt64 = 0) -> CommandResult {
        apply(.kvLock(key: key, value: Array(value.utf8), flags: flags, session: session))
    }

    @discardableResult
    func unlock(_ key: String, _ session: String, _ value: String = "", flags: UInt64 = 0) -> CommandResult {
        apply(.kvUnlock(key: key, value: Array(value.utf8), flags: flags, session: session))
    }

    func value(_ key: String) -> String? { store.kvGet(key).map { String(decoding: $0.value, as: UTF8.self) } }
    func holder(_ key: String) -> String? { store.kvGet(key)?.session }
    var sessionIDs: [String] { store.allSessions.map(\.id) }
}

@Suite("Sessions and locks in the state store")
struct SessionStateTests {
    // MARK: Create

    /// Proves a session for a node the catalog does not know is refused with Consul's text and leaves nothing behind.
    @Test func createRefusedWithoutNode() {
        let h = SessionHarness()
        #expect(h.create("s1") == .failure("Missing node registration"))
        #expect(h.store.session("s1") == nil)
        #expect(h.sessionIDs.isEmpty)
        #expect(h.store.sessionsIndex == 1)
        // Another node being registered does not help.
        h.register("other")
        #expect(h.create("s1") == .failure("Missing node registration"))
    }

    /// Proves every bound check must exist: the serfHealth default, an explicit node check and a service check.
    @Test func createRefusedWithMissingCheck() {
        let h = SessionHarness()
        h.register("n1", checks: [])
        #expect(h.create("s1") == .failure("Missing check 'serfHealth' registration"))
        h.register("n1")
        #expect(h.create("s1", nodeChecks: ["serfHealth", "disk"]) == .failure("Missing check 'disk' registration"))
        #expect(h.create("s1", serviceChecks: ["svc-check"]) == .failure("Missing check 'svc-check' registration"))
        // A check of the same ID on another node does not count.
        h.register("n2", checks: [("serfHealth", "passing"), ("disk", "passing")])
        #expect(h.create("s1", nodeChecks: ["disk"]) == .failure("Missing check 'disk' registration"))
        #expect(h.sessionIDs.isEmpty)
    }

    /// Proves a critical bound check (node or service level) refuses the session; warning does not.
    @Test func createRefusedWithCriticalCheck() {
        let h = SessionHarness()
        h.register("n1", checks: [("serfHealth", "critical")])
        #expect(h.create("s1") == .failure("Check 'serfHealth' is in critical state"))
        h.register("n1", checks: [("serfHealth", "passing"), ("mem", "warning")], service: "web",
                   serviceChecks: [("web-check", "critical")])
        #expect(h.create("s1", serviceChecks: ["web-check"]) == .failure("Check 'web-check' is in critical state"))
        #expect(h.sessionIDs.isEmpty)
        #expect(h.create("s1", nodeChecks: ["serfHealth", "mem"]) == .bool(true))
    }

    /// Proves a session on a node with passing serfHealth is stored with its fields, indexes stamped, lock-delay capped.
    @Test func createWithPassingSerfHealth() throws {
        let h = SessionHarness()
        h.register("n1")
        h.register("n2")
        #expect(h.create("s1", ttl: "15s", lockDelay: 5 * second, behavior: .delete) == .bool(true))
        let index = h.store.index
        let s = try #require(h.store.session("s1"))
        #expect(s.node == "n1")
        #expect(s.name == "name-s1")
        #expect(s.ttl == "15s")
        #expect(s.lockDelay == 5 * second)
        #expect(s.behavior == .delete)
        #expect(s.nodeChecks == ["serfHealth"])
        #expect(s.createIndex == index)
        #expect(s.modifyIndex == index)
        #expect(h.store.sessionsIndex == index)
        // Lock-delay above 60 s is capped when applied.
        #expect(h.create("s2", node: "n2", lockDelay: 120 * second) == .bool(true))
        #expect(h.store.session("s2")?.lockDelay == 60 * second)
        // Listing is in ID order; by node only that node's.
        #expect(h.create("s0") == .bool(true))
        #expect(h.sessionIDs == ["s0", "s1", "s2"])
        #expect(h.store.sessions(onNode: "n1").map(\.id) == ["s0", "s1"])
        #expect(h.store.sessions(onNode: "n2").map(\.id) == ["s2"])
        #expect(h.store.sessions(onNode: "n3").isEmpty)
        // An ID already in use is refused; the original is untouched.
        #expect(h.create("s1", node: "n2") == .failure("Session ID \"s1\" is not unique"))
        #expect(h.store.session("s1")?.node == "n1")
        // An explicitly empty check list needs only the node.
        h.register("bare", checks: [])
        #expect(h.create("s3", node: "bare", nodeChecks: []) == .bool(true))
    }

    /// Proves renew answers the session as a one-element JSON array, and `false` for an unknown one.
    @Test func renewAnswers() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1", ttl: "10s")
        guard case .json(let ok, let body) = h.apply(.sessionRenew(id: "s1")) else {
            Issue.record("renew did not answer JSON")
            return
        }
        #expect(ok)
        let array = try #require(try JSONParser.parse(body).arrayValue)
        #expect(array.count == 1)
        #expect(array.first.flatMap { Session(json: $0) } == h.store.session("s1"))
        #expect(h.apply(.sessionRenew(id: "nope")) == .bool(false))
    }

    // MARK: Acquire and release

    /// Proves acquire takes a free key (LockIndex 1), the holder re-acquires keeping LockIndex, another session gets false.
    @Test func acquireAndReacquire() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.create("s2")
        #expect(h.lock("k", "s1", "first", flags: 3) == .bool(true))
        let first = try #require(h.store.kvGet("k"))
        #expect(first.session == "s1")
        #expect(first.lockIndex == 1)
        #expect(first.flags == 3)
        #expect(h.value("k") == "first")
        #expect(first.createIndex == h.store.index)
        #expect(first.modifyIndex == h.store.index)

        #expect(h.lock("k", "s1", "second") == .bool(true))
        let again = try #require(h.store.kvGet("k"))
        #expect(again.lockIndex == 1)
        #expect(again.session == "s1")
        #expect(again.createIndex == first.createIndex)
        #expect(again.modifyIndex == h.store.index)
        #expect(h.value("k") == "second")

        let before = h.store.kvGet("k")
        #expect(h.lock("k", "s2", "stolen") == .bool(false))
        #expect(h.store.kvGet("k") == before)

        // A plain write to a locked key keeps the lock.
        h.apply(.kvSet(key: "k", value: Array("plain".utf8), flags: 0))
        #expect(h.holder("k") == "s1")
        #expect(h.store.kvGet("k")?.lockIndex == 1)
        #expect(h.value("k") == "plain")

        // An existing unlocked key keeps its CreateIndex when locked.
        h.apply(.kvSet(key: "free", value: [1], flags: 0))
        let created = h.store.kvGet("free")!.createIndex
        #expect(h.lock("free", "s2") == .bool(true))
        #expect(h.store.kvGet("free")?.createIndex == created)
        #expect(h.store.kvGet("free")?.lockIndex == 1)
    }

    /// Proves acquire with an unknown or empty session is refused as an error (an HTTP 500), not `false`.
    @Test func acquireNeedsLiveSession() {
        let h = SessionHarness()
        h.register()
        #expect(h.lock("k", "nope") == .failure("invalid session \"nope\""))
        #expect(h.lock("k", "") == .failure("missing session"))
        #expect(h.unlock("k", "") == .failure("missing session"))
        #expect(h.store.kvGet("k") == nil)
    }

    /// Proves release by the holder writes the body as the value, clears Session, keeps LockIndex; others get false.
    @Test func releaseWritesBody() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.create("s2")
        h.lock("k", "s1", "held")
        #expect(h.unlock("k", "s2", "nope") == .bool(false))
        #expect(h.holder("k") == "s1")
        #expect(h.value("k") == "held")
        #expect(h.unlock("k", "s1", "released", flags: 9) == .bool(true))
        let entry = try #require(h.store.kvGet("k"))
        #expect(entry.session == "")
        #expect(entry.lockIndex == 1)
        #expect(entry.flags == 9)
        #expect(h.value("k") == "released")
        #expect(entry.modifyIndex == h.store.index)
        // Not held any more: a second release is false; no lock-delay after an explicit release.
        #expect(h.unlock("k", "s1") == .bool(false))
        #expect(!h.store.lockDelayed("k"))
        #expect(h.lock("k", "s2") == .bool(true))
        #expect(h.store.kvGet("k")?.lockIndex == 2)
        // An empty release body empties the value.
        #expect(h.unlock("k", "s2", "") == .bool(true))
        #expect(h.store.kvGet("k")?.value == [])
        // A missing key cannot be released.
        #expect(h.unlock("absent", "s1") == .bool(false))
        #expect(h.store.kvGet("absent") == nil)
    }

    // MARK: Invalidation

    /// Proves destroy with behavior release clears Session on every held key (value kept, ModifyIndex bumped) and nothing else.
    @Test func destroyReleases() throws {
        let h = SessionHarness()
        h.register()
        h.create("s1")
        h.create("s2")
        h.lock("a", "s1", "va")
        h.lock("b", "s1", "vb")
        h.lock("c", "s2", "vc")
        h.apply(.kvSet(key: "plain", value: [1], flags: 0))
        let cBefore = h.store.kvGet("c")
        let plainBefore = h.store.kvGet("plain")
        #expect(h.apply(.sessionDestroy(id: "s1")) == .bool(true))
        let index = h.store.index
        #expect(h.store.session("s1") == nil)
        #expect(h.sessionIDs == ["s2"])
        #expect(h.store.sessionsIndex == index)
        for (key, value) in [("a", "va"), ("b", "vb")] {
            let entry = try #require(h.store.kvGet(key))
            #expect(entry.session == "")
            #expect(entry.lockIndex == 1)
            #expect(entry.modifyIndex == index)
            #expect(h.value(key) == value)
        }
        #expect(h.store.kvGet("c") == cBefore)
        #expect(h.store.kvGet("plain") == plainBefore)
        #expect(h.store.kvTableIndex == index)
        // Destroying an unknown or already destroyed session is fine and changes nothing.
        let snapshot = h.store.snapshot()
        #expect(h.apply(.sessionDestroy(id: "s1")) == .bool(true))
        #expect(h.apply(.sessionDestroy(id: "never")) == .bool(true))
        #expect(Array(h.store.snapshot().dropFirst(9)) == Array(snapshot.dropFirst(9)))
    }

    /// Proves destroy with behavior delete removes every held key, leaving a tombstone the prefix index sees.
    @Test func destroyDeletes() {
        let h = SessionHarness()
        h.register()
        h.create("s1", behavior: .delete)
        h.lock("app/a", "s1")
        h.lock("app/b", "s1")
        h.apply(.kvSet(key: "app/c", value: [1], flags: 0))
        h.apply(.sessionDestroy(id: "s1"))
        let index = h.store.index
        #expect(h.store.kvGet("app/a") == nil)
        #expect(h.store.kvGet("app/b") == nil)
        #expect(h.store.kvGet("app/c") != nil)
        #expect(h.store.kvList(prefix: "app/").index == index)
        #expect(h.store.kvKeyIndex("app/a") == index)
    }

    /// Proves the session forgets a key deleted (or deleted by tree) while locked: invalidation never touches a later re-creation.
    @Test func deletedLockedKeyIsForgotten() {
        let h = SessionHarness()
        h.register()
        h.create("s1", behavior: .delete)
        h.lock("k", "s1")
        h.lock("t/x", "s1")
        h.apply(.kvDelete(key: "k"))
        h.apply(.kvDeleteTree(prefix: "t/"))
        h.apply(.kvSet(key: "k", value: Array("new".utf8), flags: 0))
        h.apply(.kvSet(key: "t/x", value: Array("new".utf8), flags: 0))
        h.apply(.sessionDestroy(id: "s1"))
        #expect(h.value("k") == "new")
        #expect(h.value("t/x") == "new")
        #expect(!h.store.lockDelayed("k"))
    }

    /// Proves TTL expiry: reported only once more than 2×TTL passed since create, renew pushes it back, sessions without TTL never expire.
    @Test func ttlExpiry() {
        let h = SessionHarness()
        h.register()
        let start = h.now
        h.create("ttl", ttl: "10s")
        h.create("forever")
        h.lock("k", "ttl")
        h.now = start + 20 * second
        #expect(h.store.expiredSessions().isEmpty)
        h.now = start + 20 * second + 1
        #expect(h.store.expiredSessions() == ["ttl"])
        // Reporting does not destroy: the leader proposes the destroy, which releases the lock.
        #expect(h.store.session("ttl") != nil)
        #expect(h.holder("k") == "ttl")
        h.apply(.sessionDestroy(id: "ttl"))
        #expect(h.holder("k") == "")
        #expect(h.store.expiredSessions().isEmpty)
        h.now = start + 1_000_000 * second
        #expect(h.store.expiredSessions().isEmpty)
        #expect(h.sessionIDs == ["forever"])
    }

    /// Proves a renew restarts the TTL clock from the renew time.
    @Test func renewPushesExpiryBack() {
        let h = SessionHarness()
        h.register()
        let start = h.now
        h.create("s", ttl: "10s")
        h.now = start + 15 * second
        #expect(h.apply(.sessionRenew(id: "s")) != .bool(false))
        h.now = start + 35 * second
        #expect(h.store.expiredSessions().isEmpty)
        h.now = start + 35 * second + 1
        #expect(h.store.expiredSessions() == ["s"])
    }

    /// Proves resetSessionTimers (a new leader) gives every session a full 2×TTL from now.
    @Test func resetTimersGivesFullTTL() {
        let h = SessionHarness()
        h.register()
        let start = h.now
        h.create("a", ttl: "10s")
        h.create("b", ttl: "30s")
        h.now = start + 19 * second
        h.store.resetSessionTimers()
        h.now = start + 39 * second
        #expect(h.store.expiredSessions().isEmpty)
        h.now = start + 39 * second + 1
        #expect(h.store.expiredSessions() == ["a"])
        h.now = start + 79 * second + 1
        #expect(h.store.expiredSessions() == ["a", "b"])
    }

    /// Proves a bound node check turning critical through a catalog register destroys the session and releases its lock.
    @Test func boundNodeCheckCriticalInvalidates() {
        let h = SessionHarness()
        h.register("n1", checks: [("serfHealth", "passing"), ("disk", "passing")])
        h.register("n2")
        h.create("bound", nodeChecks: ["serfHealth", "disk"])
        h.create("unbound", nodeChecks: ["serfHealth"])
        h.create("other", node: "n2", nodeChecks: ["serfHealth"])
        h.lock("k", "bound", "kept")
        // Warning is not critical: nothing happens.
        h.setCheck("disk", "warning")
        #expect(h.sessionIDs == ["bound", "other", "unbound"])
        h.setCheck("disk", "critical")
        #expect(h.store.session("bound") == nil)
        #expect(h.sessionIDs == ["other", "unbound"])
        #expect(h.holder("k") == "")
        #expect(h.value("k") == "kept")
        #expect(h.store.kvGet("k")?.modifyIndex == h.store.index)
        #expect(h.store.sessionsIndex == h.store.index)
        // serfHealth going critical (the node failed) takes the rest on that node, not n2's.
        h.setCheck("serfHealth", "critical")
        #expect(h.sessionIDs == ["other"])
    }

    /// Proves a bound service check going critical invalidates the session.
    @Test func boundServiceCheckCriticalInvalidates() {
        let h = SessionHarness()
        h.register("n1", service: "web", serviceChecks: [("web-alive", "passing")])
        h.create("s", serviceChecks: ["web-alive"])
        h.lock("k", "s")
        h.setCheck("web-alive", "critical", serviceID: "web")
        #expect(h.store.session("s") == nil)
        #expect(h.holder("k") == "")
    }

    /// Proves deregistering a bound check (alone, or with its service) invalidates the session.
    @Test func checkDeregisteredInvalidates() {
        let h = SessionHarness()
        h.register("n1", checks: [("serfHealth", "passing"), ("disk", "passing")], service: "web",
                   serviceChecks: [("web-alive", "passing")])
        h.create("node-bound", nodeChecks: ["disk"])
        h.create("svc-bound", nodeChecks: [], serviceChecks: ["web-alive"])
        h.create("plain")
        h.lock("a", "node-bound")
        h.lock("b", "svc-bound")
        h.apply(.catalogDeregister(DeregisterRequest(node: "n1", checkID: "disk")))
        #expect(h.sessionIDs == ["plain", "svc-bound"])
        #expect(h.holder("a") == "")
        h.apply(.catalogDeregister(DeregisterRequest(node: "n1", serviceID: "web")))
        #expect(h.sessionIDs == ["plain"])
        #expect(h.holder("b") == "")
    }

    /// Proves deregistering the node destroys every session on it (even one bound to no checks) and only those.
    @Test func nodeDeregisteredInvalidates() {
        let h = SessionHarness()
        h.register("n1")
        h.register("n2", checks: [])
        h.create("on-n1")
        h.create("on-n2", node: "n2", nodeChecks: [])
        h.lock("k", "on-n2")
        h.apply(.catalogDeregister(DeregisterRequest(node: "n2")))
        #expect(h.sessionIDs == ["on-n1"])
        #expect(h.store.sessions(onNode: "n2").isEmpty)
        #expect(h.holder("k") == "")
        // Re-registering the node does not bring it back.
        h.register("n2", checks: [])
        #expect(h.store.session("on-n2") == nil)
    }

    // MARK: Lock-delay

    /// Proves a lost lock is delayed for the session's LockDelay on the fake clock, exactly, and only that key.
    @Test func lockDelayWindow() {
        let h = SessionHarness()
        h.register()
        h.create("s1", lockDelay: 5 * second)
        h.lock("k", "s1")
        #expect(!h.store.lockDelayed("k"))
        let destroyedAt = h.now
        h.apply(.sessionDestroy(id: "s1"))
        #expect(h.store.lockDelayed("k"))
        #expect(!h.store.lockDelayed("other"))
        h.now = destroyedAt + 5 * second - 1
        #expect(h.store.lockDelayed("k"))
        h.now = destroyedAt + 5 * second
        #expect(!h.store.lockDelayed("k"))
    }

    /// Proves the lock-delay after an invalidation is capped at 60 s, and a zero LockDelay gives none.
    @Test func lockDelayCappedAndZero() {
        let h = SessionHarness()
        h.register()
        h.create("long", lockDelay: 3_600 * second)
        h.create("none", lockDelay: 0)
        h.lock("a", "long")
        h.lock("b", "none")
        let t = h.now
        h.apply(.sessionDestroy(id: "long"))
        h.apply(.sessionDestroy(id: "none"))
        #expect(h.store.lockDelayed("a"))
        #expect(!h.store.lockDelayed("b"))
        h.now = t + 60 * second - 1
        #expect(h.store.lockDelayed("a"))
        h.now = t + 60 * second
        #expect(!h.store.lockDelayed("a"))
    }

    /// Proves invalidation by a catalog change (check critical) also starts the lock-delay; behavior delete too.
    @Test func lockDelayAfterCatalogInvalidation() {
        let h = SessionHarness()
        h.register("n1", checks: [("serfHealth", "passing"), ("disk", "passing")])
        h.create("s", lockDelay: 10 * second, behavior: .delete, nodeChecks: ["disk"])
        h.lock("k", "s")
        h.setCheck("disk", "critical")
        #expect(h.store.kvGet("k") == nil)
        #expect(h.store.lockDelayed("k"))
        h.now += 10 * second
        #expect(!h.store.lockDelayed("k"))
    }
}
