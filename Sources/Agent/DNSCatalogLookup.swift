import ConsulAPI
import ConsulState
import DNS
import Platform

/// The DNS responder's view of the catalog: the agent's local replica of the state store, read
/// through StateStore's allocation-lean DNS reads (CatalogDNSReads.swift).
final class DNSCatalogLookup: DNSLookup {
    let store: StateStore
    let datacenter: String

    init(store: StateStore, datacenter: String) {
        self.store = store
        self.datacenter = datacenter
    }

    func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance] {
        guard datacenter == self.datacenter, let service = store.registeredServiceName(matching: name) else { return [] }
        var out: [ServiceInstance] = []
        store.forEachServiceInstance(named: service) { node, instance, statuses in
            out.append(ServiceInstance(node: node, service: instance, checkStatuses: statuses))
        }
        return out
    }

    func node(name: String, datacenter: String) -> CatalogNode? {
        guard datacenter == self.datacenter else { return nil }
        return store.catalogNode(matching: name)
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

extension DNSCatalogLookup {
    func preparedQuery(_ idOrName: String, datacenter: String) -> (instances: [ServiceInstance], service: String, ttl: UInt32?)? {
        guard datacenter == self.datacenter, let query = store.resolvePreparedQuery(idOrName) else { return nil }
        let instances = store.executePreparedQuery(query).rows.map(DNSCatalogLookup.instance)
        return (instances, query.service, DNSCatalogLookup.dnsTTL(of: query))
    }

    static func instance(_ row: ServiceHealth) -> ServiceInstance {
        ServiceInstance(node: row.node, service: row.service, checks: row.checks)
    }

    /// The query's `DNS.TTL` in seconds, when it sets one.
    static func dnsTTL(of query: PreparedQuery) -> UInt32? {
        guard !query.dnsTTL.isEmpty, let nanos = GoDuration.parse(query.dnsTTL), nanos >= 0 else { return nil }
        return UInt32(clamping: nanos / GoDuration.second)
    }
}
