import ConsulAPI
import HTTP1

/// `/v1/operator/usage`: counts of services, instances (by mesh kind) and nodes in this
/// datacenter's catalog, in Consul's shape.
final class UsageEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    /// The kinds Consul reports under ConnectServiceInstances, in its order.
    static let meshKinds = ["api-gateway", "connect-native", "connect-proxy", "ingress-gateway", "mesh-gateway", "terminating-gateway"]

    func usage(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (nodes, nodesIndex) = store.catalogNodes()
            var names = Set<String>()
            var instances = 0, billable = 0
            var mesh = Dictionary(uniqueKeysWithValues: UsageEndpoint.meshKinds.map { ($0, 0) })
            for node in nodes {
                for s in store.catalogNode(node.node).services {
                    names.insert(s.service)
                    instances += 1
                    if s.connectNative { mesh["connect-native", default: 0] += 1 }
                    if mesh[s.kind] != nil { mesh[s.kind]! += 1 }
                    // Proxies, gateways and the servers' own `consul` service are not billable.
                    if s.kind.isEmpty && s.service != "consul" { billable += 1 }
                }
            }
            let index = max(nodesIndex, store.catalogServices().index)
            var json = JSONWriter(pretty: options.pretty, reserve: 512)
            json.beginObject()
            json.key("Usage")
            json.beginObject()
            json.key(self.api.agent.datacenter)
            json.beginObject()
            json.field("Services", names.count)
            json.field("ServiceInstances", instances)
            json.key("ConnectServiceInstances")
            json.beginObject()
            for kind in UsageEndpoint.meshKinds { json.field(kind, mesh[kind] ?? 0) }
            json.endObject()
            json.field("BillableServiceInstances", billable)
            json.field("Nodes", nodes.count)
            json.endObject()
            json.endObject()
            json.field("Index", max(index, 1))
            json.field("LastContact", Int(meta.lastContactMilliseconds) * 1_000_000)
            json.field("KnownLeader", meta.knownLeader)
            json.field("ConsistencyLevel", options.consistency == .stale ? "stale" : options.consistency == .consistent ? "consistent" : "leader")
            json.field("NotModified", false)
            json.field("Backend", 0)
            json.field("ResultsFilteredByACLs", false)
            json.endObject()
            return self.api.result(&json, index: index, watched: [.catalogNodes, .catalogServices], meta: meta, options: options)
        }
    }
}
