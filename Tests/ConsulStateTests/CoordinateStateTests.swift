import ConsulAPI
import ConsulState
import Testing

/// An 8-dimensional coordinate (Consul's dimensionality), valid unless the test edits it.
private func coordinate(_ node: String, vec: [Double] = [0.001, -0.002, 0.0005, 0, 0.25, 0, -1.5, 0.01],
                        error: Double = 0.2, adjustment: Double = 0.0001, height: Double = 0.00001) -> NodeCoordinate {
    NodeCoordinate(node: node, vec: vec, error: error, adjustment: adjustment, height: height)
}

private func registerNode(_ store: StateStore, _ node: String, service: NodeService? = nil, at index: UInt64) {
    var r = RegisterRequest()
    r.node.node = node
    r.node.address = "10.0.0.1"
    r.service = service
    #expect(store.apply(.catalogRegister(r), at: index) == .bool(true))
}

/// The coordinates table: replicated updates, their validation, cascading removal, and snapshots (version 5).
@Suite("Coordinate state")
struct CoordinateStateTests {
    /// Proves an update for a registered node is stored, moves coordinatesIndex to the apply index, and wakes `.coordinates` watchers.
    @Test func updateForRegisteredNodeIsStoredAndWakesWatchers() {
        let store = StateStore()
        registerNode(store, "n1", at: 1)
        #expect(store.coordinatesIndex == 0)
        var woken = 0
        _ = store.watches.register([.coordinates]) { woken += 1 }

        #expect(store.apply(.coordinateBatchUpdate([coordinate("n1")]), at: 2) == .bool(true))
        #expect(store.coordinate(of: "n1") == coordinate("n1"))
        #expect(store.allCoordinates() == [coordinate("n1")])
        #expect(store.coordinatesIndex == 2)
        #expect(woken == 1)

        // A later update replaces the node's coordinate and moves the index again.
        let moved = coordinate("n1", error: 0.5)
        store.apply(.coordinateBatchUpdate([moved]), at: 3)
        #expect(store.coordinate(of: "n1") == moved)
        #expect(store.coordinatesIndex == 3)
    }

    /// Proves an update for a node the catalog lacks is dropped: nothing stored, index unchanged, no wake-up.
    @Test func updateForUnknownNodeIsDropped() {
        let store = StateStore()
        registerNode(store, "n1", at: 1)
        store.apply(.coordinateBatchUpdate([coordinate("n1")]), at: 2)
        var woken = false
        _ = store.watches.register([.coordinates]) { woken = true }

        #expect(store.apply(.coordinateBatchUpdate([coordinate("ghost")]), at: 3) == .bool(true))
        #expect(store.coordinate(of: "ghost") == nil)
        #expect(store.allCoordinates().map(\.node) == ["n1"])
        #expect(store.coordinatesIndex == 2)
        #expect(!woken)
    }

    /// Proves coordinates with the wrong dimensionality or a non-finite number are dropped while valid ones in the same batch land.
    @Test func invalidCoordinatesAreDropped() {
        let store = StateStore()
        registerNode(store, "n1", at: 1)
        registerNode(store, "n2", at: 2)
        registerNode(store, "n3", at: 3)
        registerNode(store, "n4", at: 4)

        store.apply(.coordinateBatchUpdate([
            coordinate("n1", vec: [0.1, 0.2, 0.3]),            // 3 dimensions, not 8
            coordinate("n2", vec: [.nan, 0, 0, 0, 0, 0, 0, 0]),
            coordinate("n3", height: .infinity),
        ]), at: 5)
        #expect(store.allCoordinates().isEmpty)
        #expect(store.coordinatesIndex == 0)

        store.apply(.coordinateBatchUpdate([coordinate("n1", error: .nan), coordinate("n4")]), at: 6)
        #expect(store.coordinate(of: "n1") == nil)
        #expect(store.coordinate(of: "n4") == coordinate("n4"))
        #expect(store.coordinatesIndex == 6)
    }

    /// Proves deregistering a node removes its coordinate (moving the index, waking watchers), while deregistering only a service keeps it.
    @Test func deregisteringTheNodeRemovesItsCoordinate() {
        let store = StateStore()
        var web = NodeService()
        web.service = "web"
        web.id = "web"
        registerNode(store, "n1", service: web, at: 1)
        registerNode(store, "n2", at: 2)
        store.apply(.coordinateBatchUpdate([coordinate("n1"), coordinate("n2")]), at: 3)

        store.apply(.catalogDeregister(DeregisterRequest(node: "n1", serviceID: "web")), at: 4)
        #expect(store.coordinate(of: "n1") == coordinate("n1"))
        #expect(store.coordinatesIndex == 3)

        var woken = false
        _ = store.watches.register([.coordinates]) { woken = true }
        store.apply(.catalogDeregister(DeregisterRequest(node: "n1")), at: 5)
        #expect(store.coordinate(of: "n1") == nil)
        #expect(store.allCoordinates().map(\.node) == ["n2"])
        #expect(store.coordinatesIndex == 5)
        #expect(woken)

        // A re-registered node starts without a coordinate.
        registerNode(store, "n1", at: 6)
        #expect(store.coordinate(of: "n1") == nil)
    }

    /// Proves coordinateBatchUpdate survives the Raft log encoding (type code 17) and applies from its bytes.
    @Test func commandRoundTripsThroughTheLogEncoding() throws {
        let command = Command.coordinateBatchUpdate([
            coordinate("n1"),
            coordinate("nöde-2", vec: [1e-9, -3.25, 7, 0, 0, 0, 0, 123.5], error: 1.5, adjustment: -0.002, height: 0.0002),
        ])
        let bytes = command.encoded
        #expect(bytes.first == 17)
        #expect(try Command(encoded: bytes) == command)
        #expect(try Command(encoded: Command.coordinateBatchUpdate([]).encoded) == .coordinateBatchUpdate([]))
        #expect(throws: DecodeError.self) { try Command(encoded: Array(bytes.dropLast())) }
        #expect(throws: DecodeError.self) { try Command(encoded: bytes + [0]) }

        let store = StateStore()
        registerNode(store, "n1", at: 1)
        try store.apply(encoded: bytes, at: 2)
        #expect(store.coordinate(of: "n1") == coordinate("n1"))
        #expect(store.coordinatesIndex == 2)
    }

    /// Proves a snapshot restored into a fresh store keeps coordinates, their index, and services' proxy destination, Connect-native flag and locality.
    @Test func snapshotRoundTripKeepsCoordinatesAndServiceExtras() throws {
        let store = StateStore()
        var proxy = NodeService()
        proxy.kind = "connect-proxy"
        proxy.id = "web-sidecar-proxy"
        proxy.service = "web-sidecar-proxy"
        proxy.proxyDestination = "web"
        proxy.locality = ServiceLocality(region: "us-east-1", zone: "us-east-1a")
        var native = NodeService()
        native.id = "native"
        native.service = "native"
        native.connectNative = true
        var plain = NodeService()
        plain.id = "plain"
        plain.service = "plain"
        registerNode(store, "n1", service: proxy, at: 1)
        registerNode(store, "n1", service: native, at: 2)
        registerNode(store, "n2", service: plain, at: 3)
        store.apply(.coordinateBatchUpdate([coordinate("n1"), coordinate("n2", error: 0.9)]), at: 4)
        store.apply(.kvSet(key: "k", value: Array("v".utf8), flags: 0), at: 5)

        let copy = StateStore()
        try copy.restore(store.snapshot())
        #expect(copy.coordinatesIndex == 4)
        #expect(copy.allCoordinates() == [coordinate("n1"), coordinate("n2", error: 0.9)])

        let services = Dictionary(uniqueKeysWithValues: copy.catalogNode("n1").services.map { ($0.id, $0) })
        #expect(services["web-sidecar-proxy"]?.proxyDestination == "web")
        #expect(services["web-sidecar-proxy"]?.locality == ServiceLocality(region: "us-east-1", zone: "us-east-1a"))
        #expect(services["web-sidecar-proxy"]?.connectNative == false)
        #expect(services["native"]?.connectNative == true)
        #expect(services["native"]?.locality == nil)
        #expect(copy.catalogNode("n2").services.first?.proxyDestination == "")
        #expect(copy.connectServiceNodes("web").rows.map(\.service.id) == ["web-sidecar-proxy"])
        #expect(copy.kvGet("k")?.value == Array("v".utf8))
        #expect(copy.snapshot() == store.snapshot())
    }

    /// Proves a version-4 snapshot (no service extras, no coordinates table) still restores, and clears coordinates the store held.
    @Test func versionFourSnapshotStillRestores() throws {
        let source = StateStore()
        var web = NodeService()
        web.id = "web"
        web.service = "web"
        registerNode(source, "n1", service: web, at: 1)
        source.apply(.kvSet(key: "k", value: Array("v".utf8), flags: 7), at: 2)
        // With no service extras and no coordinates, version 5 only appends three zero u64s
        // (extras count, coordinates index, coordinates count) to the version-4 layout.
        let v5 = source.snapshot()
        #expect(v5.first == 5)
        #expect(v5.suffix(24).allSatisfy { $0 == 0 })
        var v4 = Array(v5.dropLast(24))
        v4[0] = 4

        let target = StateStore()
        registerNode(target, "old", at: 1)
        target.apply(.coordinateBatchUpdate([coordinate("old")]), at: 2)
        try target.restore(v4)
        #expect(target.kvGet("k")?.flags == 7)
        #expect(target.catalogNode("n1").services.map(\.id) == ["web"])
        #expect(target.catalogNode("old").node == nil)
        #expect(target.allCoordinates().isEmpty)
        #expect(target.coordinatesIndex == 0)
        #expect(target.snapshot() == v5)
    }

    /// Proves a snapshot of a newer, unknown version (6) is refused and leaves the store as it was.
    @Test func newerSnapshotVersionIsRefused() {
        let source = StateStore()
        registerNode(source, "n1", at: 1)
        var bytes = source.snapshot()
        bytes[0] = 6

        let target = StateStore()
        target.apply(.kvSet(key: "keep", value: [1], flags: 0), at: 1)
        #expect(throws: DecodeError("unsupported snapshot version 6")) { try target.restore(bytes) }
        #expect(target.kvGet("keep")?.value == [1])
        #expect(target.catalogNode("n1").node == nil)
    }
}
