import ConsulAPI
@testable import ConsulState
import Testing

/// The DNS responder's lean catalog reads agree with `serviceHealth` on instances and on the
/// health that matters (aggregate status), and match names ignoring case.
@Suite struct CatalogDNSReadsTests {
    private func register(_ store: StateStore, node: String, service: String, id: String,
                          checks: [(String, String, String)], at index: UInt64) {
        var r = RegisterRequest()
        r.node.node = node
        r.node.address = "10.0.0.1"
        var s = NodeService()
        s.service = service
        s.id = id
        r.service = s
        for (checkID, status, serviceID) in checks {
            var c = HealthCheck()
            c.checkID = checkID; c.name = checkID; c.status = status; c.serviceID = serviceID
            r.checks.append(c)
        }
        _ = store.apply(.catalogRegister(r), at: index)
    }

    @Test func leanReadAgreesWithServiceHealth() {
        let store = StateStore()
        register(store, node: "n1", service: "Web", id: "w1", checks: [("c1", "passing", "w1"), ("n", "passing", "")], at: 1)
        register(store, node: "n2", service: "Web", id: "w2", checks: [("c2", "warning", "w2"), ("m", "passing", "")], at: 2)
        register(store, node: "n3", service: "Web", id: "w3", checks: [("c3", "passing", "w3"), ("x", "critical", "")], at: 3)
        register(store, node: "n4", service: "Web", id: "w4", checks: [], at: 4)
        register(store, node: "n4", service: "db", id: "d4", checks: [("d", "critical", "d4")], at: 5)
        #expect(store.registeredServiceName(matching: "web") == "Web")
        #expect(store.registeredServiceName(matching: "Web") == "Web")
        #expect(store.registeredServiceName(matching: "api") == nil)
        var lean: [String: String] = [:]
        store.forEachServiceInstance(named: "Web") { node, service, statuses in
            lean[node.node + "/" + service.id] = HealthStatus.aggregate(statuses)
        }
        var full: [String: String] = [:]
        for row in store.serviceHealth("Web").rows {
            full[row.node.node + "/" + row.service.id] = HealthStatus.aggregate(row.checks.map(\.status))
        }
        #expect(lean == full)
        #expect(lean == ["n1/w1": "passing", "n2/w2": "warning", "n3/w3": "critical", "n4/w4": "passing"])
        #expect(store.catalogNode(matching: "N2")?.node == "n2")
        #expect(store.catalogNode(matching: "n9") == nil)
    }
}
