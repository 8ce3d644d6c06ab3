import ConsulAPI
@testable import ConsulState
import Testing

/// The catalog tables: registration, cascading deregistration, scoped wake-ups, snapshots.
@Suite struct CatalogStateTests {
    private func register(_ store: StateStore, node: String, service: String? = nil, id: String? = nil,
                          checks: [(String, String, String)] = [], at index: UInt64) -> CommandResult {
        var r = RegisterRequest()
        r.node.node = node
        r.node.address = "10.0.0.1"
        if let service {
            var s = NodeService()
            s.service = service
            s.id = id ?? service
            r.service = s
        }
        for (checkID, status, serviceID) in checks {
            var c = HealthCheck()
            c.checkID = checkID
            c.name = checkID
            c.status = status
            c.serviceID = serviceID
            r.checks.append(c)
        }
        return store.apply(.catalogRegister(r), at: index)
    }

    /// Proves a check flap moves the service's health index and wakes its health watchers, but
    /// not the service list's (catalog/services blocks on registrations only).
    @Test func checkFlapLeavesTheServiceListAlone() {
        let store = StateStore()
        _ = register(store, node: "n1", service: "web", checks: [("c1", "passing", "web")], at: 1)
        #expect(store.catalogServices().index == 1)
        var listWoken = false, healthWoken = false
        _ = store.watches.register([.catalogServices]) { listWoken = true }
        _ = store.watches.register([.service("web")]) { healthWoken = true }
        _ = register(store, node: "n1", checks: [("c1", "critical", "web")], at: 2)
        #expect(store.serviceHealth("web").index == 2)
        #expect(store.catalogServices().index == 1)
        #expect(healthWoken && !listWoken)
        let before = store.catalogGeneration
        _ = register(store, node: "n1", service: "api", at: 3)
        #expect(store.catalogServices().index == 3)
        #expect(listWoken)
        #expect(store.catalogGeneration > before)
    }

    /// Proves a node deregistration removes its services and checks, and service reads see it.
    @Test func deregisterNodeCascades() {
        let store = StateStore()
        #expect(register(store, node: "n1", service: "web", checks: [("c1", "passing", "web"), ("n", "passing", "")], at: 1) == .bool(true))
        #expect(store.serviceHealth("web").rows.first?.checks.map(\.checkID) == ["n", "c1"])
        store.apply(.catalogDeregister(DeregisterRequest(node: "n1")), at: 2)
        #expect(store.serviceNodes("web").rows.isEmpty)
        #expect(store.nodeChecks("n1").checks.isEmpty)
        #expect(store.catalogNodes().nodes.isEmpty)
        #expect(store.serviceNodes("web").index == 2)
    }

    /// Proves a node-level check change wakes watchers of services on that node only.
    @Test func nodeCheckWakesOnlyHostedServices() {
        let store = StateStore()
        _ = register(store, node: "n1", service: "web", at: 1)
        _ = register(store, node: "n2", service: "db", at: 2)
        var webWoken = 0, dbWoken = 0
        _ = store.watches.register([.service("web")]) { webWoken += 1 }
        _ = store.watches.register([.service("db")]) { dbWoken += 1 }
        _ = register(store, node: "n1", checks: [("serfHealth", "critical", "")], at: 3)
        #expect(webWoken == 1)
        #expect(dbWoken == 0)
        #expect(store.serviceHealth("web").index == 3)
        #expect(store.serviceHealth("db").index == 2)
    }

    /// Proves an identical re-registration changes no index (anti-entropy converges).
    @Test func identicalRegistrationIsNoOp() {
        let store = StateStore()
        _ = register(store, node: "n1", service: "web", checks: [("c1", "passing", "web")], at: 1)
        _ = register(store, node: "n1", service: "web", checks: [("c1", "passing", "web")], at: 2)
        #expect(store.serviceHealth("web").index == 1)
        #expect(store.serviceHealth("web").rows.first?.service.modifyIndex == 1)
    }

    /// Proves refusals are deterministic state-machine results, and nothing is applied.
    @Test func refusals() {
        let store = StateStore()
        #expect(register(store, node: "", at: 1) == .failure("Must provide node"))
        #expect(register(store, node: "n", checks: [("c", "passing", "ghost")], at: 2) == .failure("Unknown service ID 'ghost' for check ID 'c'"))
        #expect(store.catalogNodes().nodes.isEmpty)
    }

    /// Proves a snapshot restores the catalog with its indexes, and the by-name index with it.
    @Test func snapshotRoundTrip() throws {
        let store = StateStore()
        _ = register(store, node: "n1", service: "web", checks: [("c1", "warning", "web")], at: 1)
        _ = register(store, node: "n2", service: "web", id: "web-2", at: 2)
        store.apply(.kvSet(key: "k", value: [1], flags: 0), at: 3)
        let copy = StateStore()
        try copy.restore(store.snapshot())
        #expect(copy.serviceNodes("web").rows.map(\.service.id) == ["web", "web-2"])
        #expect(copy.serviceHealth("web").index == store.serviceHealth("web").index)
        #expect(copy.checksInState("warning").checks.map(\.checkID) == ["c1"])
        #expect(copy.kvGet("k")?.value == [1])
        #expect(copy.snapshot() == store.snapshot())
    }

    /// Proves catalog commands survive the Raft log encoding.
    @Test func commandCodecRoundTrip() throws {
        var r = RegisterRequest()
        r.node.node = "n1"
        r.node.address = "1.2.3.4"
        r.node.meta = ["rack": "r1"]
        var s = NodeService()
        s.id = "w"; s.service = "web"; s.tags = ["a"]; s.port = 80; s.meta = ["v": "1"]
        r.service = s
        var c = HealthCheck()
        c.checkID = "c"; c.name = "c"; c.status = "passing"; c.serviceID = "w"; c.interval = "10s"
        r.checks = [c]
        let command = Command.catalogRegister(r)
        #expect(try Command(encoded: command.encoded) == command)
        let d = Command.catalogDeregister(DeregisterRequest(node: "n1", serviceID: "w"))
        #expect(try Command(encoded: d.encoded) == d)
    }
}
