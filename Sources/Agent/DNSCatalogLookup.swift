import ConsulAPI
import ConsulState
import DNS
import Platform

/// The DNS responder's view of the catalog: the agent's local replica of the state store.
final class DNSCatalogLookup: DNSLookup {
    private let store: StateStore
    let datacenter: String

    init(store: StateStore, datacenter: String) {
        self.store = store
        self.datacenter = datacenter
    }

    func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance] {
        guard datacenter == self.datacenter else { return [] }
        let service = store.catalogServices().services.keys.first { $0.lowercased() == name.lowercased() } ?? name
        return store.serviceHealth(service).rows.map { ServiceInstance(node: $0.node, service: $0.service, checks: $0.checks) }
    }

    func node(name: String, datacenter: String) -> CatalogNode? {
        guard datacenter == self.datacenter else { return nil }
        return store.catalogNodes().nodes.first { $0.node.lowercased() == name.lowercased() }
    }

    func nodes(datacenter: String) -> [CatalogNode] {
        datacenter == self.datacenter ? store.catalogNodes().nodes : []
    }
}

/// Feeds the responder random numbers from the agent's RandomSource (answer shuffling).
struct AgentRandom: RandomNumberGenerator {
    let source: RandomSource
    mutating func next() -> UInt64 { source.nextUInt64() }
}
