import ConsulAPI
import ConsulState
import HTTP1

/// `/v1/internal/ui/*`: the summaries the web UI lists, shaped as Consul's own internal
/// endpoints (services with health counts, node dumps), blocking like every catalog read.
final class UIDataEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    /// The last unfiltered services answer and the catalog generation it was made at: every open
    /// UI page re-reads the list after each change, and all but the first get these bytes.
    private var servicesCache: (generation: UInt64, pretty: Bool, body: [UInt8])?

    func services(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let datacenter = api.agent.datacenter
        let peered = ConsulHTTPAPI.asksForPeer(request)
        let cacheable = !peered && q.filter == nil
        api.read(options, responder) { store, meta in
            let generation = store.uiCatalogGeneration
            if cacheable, let cached = self.servicesCache, cached.generation == generation, cached.pretty == options.pretty {
                var response = HTTPResponse.jsonBody(cached.body)
                let index = store.uiCatalogIndex
                response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
                return QueryResult(response: response, index: index, watched: StateStore.uiCatalogScopes)
            }
            let (summaries, index) = store.serviceSummaries()
            var json = JSONWriter(pretty: options.pretty, reserve: 360 * summaries.count + 2)
            json.beginArray()
            for s in summaries where !peered && q.matches({ var w = JSONWriter(); UIDataEndpoint.write(s, datacenter, &w); return w }) {
                UIDataEndpoint.write(s, datacenter, &json)
            }
            json.endArray()
            let result = self.api.result(&json, index: index, watched: StateStore.uiCatalogScopes, meta: meta, options: options)
            if cacheable { self.servicesCache = (generation, options.pretty, result.response.body) }
            return result
        }
    }

    func nodes(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (dumps, index) = store.nodeDumps()
            var json = JSONWriter(pretty: options.pretty, reserve: 1024 * dumps.count + 2)
            json.beginArray()
            for d in dumps where q.nodeMetaMatches(d.node.meta) && q.matches({ var w = JSONWriter(); UIDataEndpoint.write(d, &w); return w }) {
                UIDataEndpoint.write(d, &json)
            }
            json.endArray()
            return self.api.result(&json, index: index, watched: StateStore.uiCatalogScopes, meta: meta, options: options)
        }
    }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/internal/ui/node/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing node name")) }
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let index = store.nodeDumpIndex(name)
            var json = JSONWriter(pretty: options.pretty)
            guard let dump = store.nodeDump(name) else {
                var result = self.api.result(&json, index: index, watched: [.node(name)], meta: meta, options: options)
                result.response.status = 404
                result.response.body = []
                result.response.headers.remove("Content-Type")
                return result
            }
            UIDataEndpoint.write(dump, &json)
            return self.api.result(&json, index: index, watched: [.node(name)], meta: meta, options: options)
        }
    }

    /// Consul's `ServiceListingSummary` field order; `Kind` only when set.
    static func write(_ s: ServiceSummary, _ datacenter: String, _ json: inout JSONWriter) {
        json.beginObject()
        if !s.kind.isEmpty { json.field("Kind", s.kind) }
        json.field("Name", s.name)
        json.field("Datacenter", datacenter)
        json.key("Tags"); json.stringList(s.tags)
        json.key("Nodes"); json.stringList(s.nodes)
        json.key("ExternalSources"); json.stringList(s.externalSources)
        json.field("InstanceCount", s.instanceCount)
        json.field("ChecksPassing", s.checksPassing)
        json.field("ChecksWarning", s.checksWarning)
        json.field("ChecksCritical", s.checksCritical)
        json.key("GatewayConfig"); json.beginObject(); json.endObject()
        json.field("TransparentProxy", false)
        json.field("ConnectNative", s.connectNative)
        json.field("ConnectedWithProxy", false)
        json.field("ConnectedWithGateway", false)
        json.endObject()
    }

    /// Consul's `NodeInfo`: the node's fields, then its services and checks (never null).
    static func write(_ d: NodeDump, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("ID", d.node.id)
        json.field("Node", d.node.node)
        json.field("Address", d.node.address)
        json.field("Datacenter", d.node.datacenter)
        json.key("TaggedAddresses"); json.stringMap(d.node.taggedAddresses, nullWhenEmpty: true)
        json.key("Meta"); json.stringMap(d.node.meta, nullWhenEmpty: true)
        json.key("Services")
        json.beginArray()
        for s in d.services { s.write(to: &json) }
        json.endArray()
        json.key("Checks")
        json.beginArray()
        for c in d.checks { c.write(to: &json) }
        json.endArray()
        json.endObject()
    }
}
