/// One network interface as the operating system lists it.
public struct NetworkInterface: Equatable, Sendable {
    public var name: String
    public var isUp: Bool
    public var isLoopback: Bool
    /// Addresses in text form (`10.0.0.5`, `fd00::1`) with their prefix lengths.
    public var addresses: [(ip: String, prefixLength: Int)]

    public init(name: String, isUp: Bool = true, isLoopback: Bool = false, addresses: [(ip: String, prefixLength: Int)]) {
        self.name = name
        self.isUp = isUp
        self.isLoopback = isLoopback
        self.addresses = addresses
    }

    public static func == (a: NetworkInterface, b: NetworkInterface) -> Bool {
        a.name == b.name && a.isUp == b.isUp && a.isLoopback == b.isLoopback
            && a.addresses.map(\.ip) == b.addresses.map(\.ip) && a.addresses.map(\.prefixLength) == b.addresses.map(\.prefixLength)
    }
}

/// The host's interfaces and which of them carry a default route: what Consul's address
/// detection and go-sockaddr templates (`GetPrivateIP`, `GetInterfaceIP "eth0"`, …) read.
/// Read once at start-up by the edge (LiveRuntime); tests hand in invented ones.
public struct NetworkFacts: Equatable, Sendable {
    public var interfaces: [NetworkInterface]
    /// Names of interfaces with a default route (IPv4 or IPv6).
    public var defaultRouteInterfaces: [String]

    public init(interfaces: [NetworkInterface], defaultRouteInterfaces: [String] = []) {
        self.interfaces = interfaces
        self.defaultRouteInterfaces = defaultRouteInterfaces
    }
}

/// Reads the host's `NetworkFacts`.
public protocol InterfaceFacts: AnyObject {
    func networkFacts() -> NetworkFacts
}
