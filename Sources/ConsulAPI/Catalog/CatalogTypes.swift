/// A node in the catalog.
public struct CatalogNode: Equatable, Sendable {
    public var id = ""
    public var node = ""
    public var address = ""
    public var datacenter = ""
    public var taggedAddresses: [String: String] = [:]
    public var meta: [String: String] = [:]
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0
    public init() {}

    /// Same content, ignoring Raft indexes (an unchanged re-registration is a no-op).
    public func sameContent(as o: CatalogNode) -> Bool {
        id == o.id && node == o.node && address == o.address && datacenter == o.datacenter
            && taggedAddresses == o.taggedAddresses && meta == o.meta
    }
}

/// An address a service is also reachable at (`TaggedAddresses` of a service).
public struct ServiceAddress: Equatable, Sendable {
    public var address: String
    public var port: Int
    public init(address: String, port: Int) { self.address = address; self.port = port }
}

/// One service instance on a node (Consul's NodeService).
/// A service instance's `Locality`: cloud region and zone.
public struct ServiceLocality: Equatable, Sendable {
    public var region: String
    public var zone: String
    public init(region: String, zone: String) { self.region = region; self.zone = zone }
}

public struct NodeService: Equatable, Sendable {
    public var kind = ""
    public var id = ""
    public var service = ""
    public var tags: [String] = []
    public var address = ""
    public var taggedAddresses: [String: ServiceAddress] = [:]
    public var meta: [String: String] = [:]
    public var port = 0
    public var weightsPassing = 1
    public var weightsWarning = 1
    public var enableTagOverride = false
    /// `Proxy.DestinationServiceName` of a `connect-proxy` (whose mesh traffic it fronts).
    public var proxyDestination = ""
    /// `Connect.Native`: the service speaks the mesh itself.
    public var connectNative = false
    /// `Locality` (Consul 1.17+): where the instance runs.
    public var locality: ServiceLocality?
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0
    public init() {}

    /// Whether `/v1/catalog/connect/<name>` and `/v1/health/connect/<name>` list this instance.
    public func servesMesh(for name: String) -> Bool {
        (kind == "connect-proxy" && proxyDestination == name) || (connectNative && service == name)
    }

    public func sameContent(as o: NodeService) -> Bool {
        var a = self, b = o
        a.createIndex = 0; a.modifyIndex = 0; b.createIndex = 0; b.modifyIndex = 0
        return a == b
    }
}

/// A health check's state as the catalog holds it.
public struct HealthCheck: Equatable, Sendable {
    public var node = ""
    public var checkID = ""
    public var name = ""
    public var status = "critical"
    public var notes = ""
    public var output = ""
    public var serviceID = ""
    public var serviceName = ""
    public var serviceTags: [String] = []
    public var type = ""
    public var interval = ""
    public var timeout = ""
    /// The check's definition as Consul echoes it (`HTTP`, `TCP`, `Interval`, …), string values.
    public var definition: [String: String] = [:]
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0
    public init() {}

    public func sameContent(as o: HealthCheck) -> Bool {
        var a = self, b = o
        a.createIndex = 0; a.modifyIndex = 0; b.createIndex = 0; b.modifyIndex = 0
        return a == b
    }
}

public enum HealthStatus {
    public static let passing = "passing"
    public static let warning = "warning"
    public static let critical = "critical"
    public static let maintenance = "maintenance"
    public static let all: Set<String> = [passing, warning, critical]

    /// Worst of several statuses: critical beats warning beats passing (no checks = passing).
    public static func aggregate<S: Sequence>(_ statuses: S) -> String where S.Element == String {
        var worst = passing
        for s in statuses {
            if s == critical || s == maintenance { return critical }
            if s == warning { worst = warning }
        }
        return worst
    }
}

/// `PUT /v1/catalog/register`: a node, optionally a service, and checks — also what the
/// agent's anti-entropy sends for its own node.
public struct RegisterRequest: Equatable, Sendable {
    public var node = CatalogNode()
    public var skipNodeUpdate = false
    public var service: NodeService?
    public var checks: [HealthCheck] = []
    public init() {}
}

/// `PUT /v1/catalog/deregister`: a whole node, one service (with its checks), or one check.
public struct DeregisterRequest: Equatable, Sendable {
    public var node = ""
    public var serviceID = ""
    public var checkID = ""
    public init(node: String = "", serviceID: String = "", checkID: String = "") {
        self.node = node
        self.serviceID = serviceID
        self.checkID = checkID
    }
}
