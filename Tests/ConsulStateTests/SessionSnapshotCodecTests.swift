import ConsulAPI
import ConsulState
import Testing

private let second: UInt64 = 1_000_000_000

/// Sessions and held locks through snapshot/restore, and the session commands through the codec.
@Suite("Session snapshots and command codec")
struct SessionSnapshotCodecTests {

    /// Proves snapshot/restore keeps sessions and held locks, and an invalidation after restore still releases the key.
    @Test func snapshotRoundTrip() throws {
        let h = SessionHarness()
        h.register("n1")
        h.register("n2", checks: [])
        h.create("a", ttl: "10s", lockDelay: 2 * second, behavior: .delete)
        h.create("b", node: "n2", nodeChecks: [], serviceChecks: [])
        var withService = SessionHarness.session("c")
        withService.serviceChecks = [Session.ServiceCheck(id: "x", namespace: "ns")]
        withService.nodeChecks = []
        h.register("n1", checks: [("serfHealth", "passing"), ("x", "passing")])
        h.create(withService)
        h.lock("ka", "a", "va")
        h.lock("kb", "b", "vb")
        h.lock("kc", "c", "vc")

        let copy = SessionHarness()
        copy.now = 5 * second // another replica's clock
        try copy.store.restore(h.store.snapshot())
        #expect(copy.store.allSessions == h.store.allSessions)
        #expect(copy.store.sessionsIndex == h.store.sessionsIndex)
        #expect(copy.store.session("c")?.serviceChecks == [Session.ServiceCheck(id: "x", namespace: "ns")])
        for key in ["ka", "kb", "kc"] { #expect(copy.store.kvGet(key) == h.store.kvGet(key)) }
        #expect(copy.store.snapshot() == h.store.snapshot())

        // Held locks survive: the holder keeps, another session is refused.
        #expect(copy.lock("kb", "a") == .bool(false))
        // Invalidations after restore act on the restored locks.
        copy.apply(.sessionDestroy(id: "b"))
        #expect(copy.holder("kb") == "")
        #expect(copy.value("kb") == "vb")
        copy.apply(.catalogDeregister(DeregisterRequest(node: "n1", checkID: "x")))
        #expect(copy.holder("kc") == "")
        // TTL clocks restart at restore on the replica's own clock.
        copy.now = 5 * second + 20 * second
        #expect(copy.store.expiredSessions().isEmpty)
        copy.now = 5 * second + 20 * second + 1
        #expect(copy.store.expiredSessions() == ["a"])
        copy.apply(.sessionDestroy(id: "a"))
        #expect(copy.store.kvGet("ka") == nil)
        #expect(copy.store.lockDelayed("ka"))
    }

    /// Proves every session and lock command, and txn with each operand kind, survives the Raft log encoding.
    @Test func commandCodecRoundTrip() throws {
        var s = SessionHarness.session("3f2a-…-ünïcode", node: "n1", ttl: "15s", lockDelay: 7, behavior: .delete,
                                       nodeChecks: ["serfHealth", "disk"])
        s.serviceChecks = [Session.ServiceCheck(id: "web", namespace: "default"), Session.ServiceCheck(id: "db")]
        s.createIndex = 11
        s.modifyIndex = 12
        var noChecks = SessionHarness.session("plain", nodeChecks: [])
        noChecks.name = ""

        var node = CatalogNode()
        node.id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        node.node = "n9"
        node.address = "10.0.0.9"
        node.datacenter = "dc1"
        node.taggedAddresses = ["lan": "10.0.0.9"]
        node.meta = ["rack": "r1"]
        node.modifyIndex = 42
        var service = NodeService()
        service.id = "web-1"
        service.service = "web"
        service.tags = ["a", "b"]
        service.port = 8080
        service.meta = ["v": "2"]
        service.modifyIndex = 43
        var check = HealthCheck()
        check.node = "n9"
        check.checkID = "web-alive"
        check.name = "web alive"
        check.status = "passing"
        check.serviceID = "web-1"
        check.modifyIndex = 44

        let commands: [Command] = [
            .sessionCreate(s),
            .sessionCreate(noChecks),
            .sessionDestroy(id: "3f2a"),
            .sessionRenew(id: "3f2a"),
            .kvLock(key: "lock/k", value: [0, 1, 255], flags: UInt64.max, session: "3f2a"),
            .kvUnlock(key: "lock/k", value: [], flags: 5, session: "3f2a"),
            .txn([]),
            .txn([
                .kv(verb: "set", key: "a", value: [1, 2], flags: 3, index: 0, session: ""),
                .kv(verb: "lock", key: "b", value: [], flags: 0, index: 9, session: "s"),
                .node(verb: "set", node: node),
                .node(verb: "delete-cas", node: node),
                .service(verb: "cas", node: "n9", service: service),
                .check(verb: "set", check: check),
                .check(verb: "get", check: check),
            ]),
        ]
        for command in commands {
            #expect(try Command(encoded: command.encoded) == command)
        }
        // Truncation and trailing garbage are refused, not misread.
        for command in commands {
            let bytes = command.encoded
            #expect(throws: DecodeError.self) { try Command(encoded: Array(bytes.dropLast())) }
            #expect(throws: DecodeError.self) { try Command(encoded: bytes + [0]) }
        }
    }

    /// Proves an encoded session create applies like the command itself (the path committed Raft entries take).
    @Test func encodedApply() throws {
        let h = SessionHarness()
        h.register()
        let command = Command.sessionCreate(SessionHarness.session("s1", ttl: "10s"))
        #expect(try h.store.apply(encoded: command.encoded, at: h.store.index + 1) == .bool(true))
        #expect(h.store.session("s1")?.ttl == "10s")
    }
}
