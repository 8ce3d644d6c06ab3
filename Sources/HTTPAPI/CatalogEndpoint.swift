import ConsulAPI
import ConsulState
import HTTP1
import Wire

/// `/v1/catalog/*`: register/deregister (through the backend) and the blocking catalog reads.
final class CatalogEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func register(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let body = api.jsonBody(request, responder) else { return }
        var r: RegisterRequest
        do { r = try RegisterRequest.decode(body) } catch {
            return responder.respond(.text(400, "Request decode failed: \(error)"))
        }
        if forwardedByBody(r.node.datacenter, options, request, responder) { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        r.node.datacenter = api.agent.datacenter
        if !r.node.id.isEmpty && !isUUIDText(r.node.id) {
            return responder.respond(.text(500, "Bad node ID: invalid UUID format"))
        }
        api.writeTrue(.catalogRegister(r), responder)
    }

    func deregister(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let body = api.jsonBody(request, responder) else { return }
        let r: DeregisterRequest
        do { r = try DeregisterRequest.decode(body) } catch {
            return responder.respond(.text(400, "Request decode failed: \(error)"))
        }
        let named = (try? JSONFields(body).string("Datacenter")) ?? nil
        if forwardedByBody(named ?? "", options, request, responder) { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.writeTrue(.catalogDeregister(r), responder)
    }

    /// A catalog write whose body names another datacenter (`"Datacenter"`, as Python clients
    /// send it) goes to that datacenter, as Consul routes the RPC by that field: re-dispatched
    /// with `?dc=` (500 "No path to datacenter" when none is known). False when it stays here.
    private func forwardedByBody(_ datacenter: String, _ options: QueryOptions, _ request: HTTPRequest,
                                 _ responder: Responder) -> Bool {
        guard !datacenter.isEmpty, datacenter != api.agent.datacenter, options.datacenter.isEmpty else { return false }
        let separator = request.target.contains("?") ? "&" : "?"
        guard let dispatch = api.remoteDispatch,
              let routed = try? HTTPRequest(method: request.method, target: request.target + separator + "dc=" + percentEncode(datacenter, keep: ""),
                                            headers: request.headers, body: request.body) else {
            responder.respond(.text(500, "No path to datacenter"))
            return true
        }
        dispatch(routed, responder)
        return true
    }

    /// Datacenters known through the WAN pool, ours first; no index header, no leader needed.
    func datacenters(_ request: HTTPRequest, _ responder: Responder) {
        var json = JSONWriter(pretty: api.config.prettyByDefault || request.query.has("pretty"))
        json.stringList(api.agent.knownDatacenters)
        responder.respond(.json(&json))
    }

    func nodes(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (unsorted, index) = store.catalogNodes()
            let nodes = self.api.sortedNear(unsorted, request) { $0.node }
            var json = JSONWriter(pretty: options.pretty, reserve: 256 * nodes.count + 2)
            json.beginArray()
            for n in nodes where q.nodeMetaMatches(n.meta) && q.matches({ var w = JSONWriter(); n.write(to: &w); return w }) {
                n.write(to: &json)
            }
            json.endArray()
            return self.api.result(&json, index: index, watched: [.catalogNodes], meta: meta, options: options)
        }
    }

    func services(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            var (services, index) = store.catalogServices()
            var watched: [WatchScope] = [.catalogServices]
            if !q.nodeMeta.isEmpty || q.filter != nil {
                // Filters apply to each instance (and node-meta to its node) before the name → tags map.
                var kept: [String: Set<String>] = [:]
                for node in store.catalogNodes().nodes where q.nodeMetaMatches(node.meta) {
                    for s in store.catalogNode(node.node).services
                    where q.matches({ var w = JSONWriter(); s.writeServiceNode(node: node, to: &w); return w }) {
                        kept[s.service, default: []].formUnion(s.tags)
                    }
                }
                services = kept.mapValues { $0.sorted() }
                // Node changes can change the answer: watch and report them too.
                index = max(index, store.catalogNodes().index)
                watched.append(.catalogNodes)
            }
            var json = JSONWriter(pretty: options.pretty)
            json.beginObject()
            for name in services.keys.sorted() { json.key(name); json.stringList(services[name]!) }
            json.endObject()
            return self.api.result(&json, index: index, watched: watched, meta: meta, options: options)
        }
    }

    func service(_ request: HTTPRequest, _ responder: Responder, connect: Bool) {
        let prefix = connect ? "/v1/catalog/connect/" : "/v1/catalog/service/"
        let name = String(request.path.dropFirst(prefix.count))
        if name.isEmpty { return responder.respond(.text(400, "Missing service name")) }
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let tags = request.query.values("tag")
        let peered = ConsulHTTPAPI.asksForPeer(request)
        api.read(options, responder) { store, meta in
            let (unsorted, index) = connect ? store.connectServiceNodes(name) : store.serviceNodes(name, tags: tags)
            let rows = peered ? [] : self.api.sortedNear(unsorted, request) { $0.node.node }
            var json = JSONWriter(pretty: options.pretty, reserve: 512 * rows.count + 2)
            json.beginArray()
            for (node, s) in rows where q.nodeMetaMatches(node.meta)
                && q.matches({ var w = JSONWriter(); s.writeServiceNode(node: node, to: &w); return w }) {
                s.writeServiceNode(node: node, to: &json)
            }
            json.endArray()
            let watched: [WatchScope] = connect ? [.service(name), .catalogServices, .checks] : [.service(name)]
            return self.api.result(&json, index: index, watched: watched, meta: meta, options: options)
        }
    }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/catalog/node/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing node name")) }
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (node, services, index) = store.catalogNode(name)
            var json = JSONWriter(pretty: options.pretty)
            if let node {
                json.beginObject()
                json.key("Node"); node.write(to: &json)
                json.key("Services")
                json.beginObject()
                for s in services where q.matches({ var w = JSONWriter(); s.write(to: &w); return w }) {
                    json.key(s.id); s.write(to: &json)
                }
                json.endObject()
                json.endObject()
            } else {
                json.null()
            }
            return self.api.result(&json, index: index, watched: [.node(name)], meta: meta, options: options)
        }
    }

    func nodeServices(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/catalog/node-services/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing node name")) }
        guard let options = api.parseOptions(request, responder), let q = api.readQuery(request, options, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            let (node, services, index) = store.catalogNode(name)
            var json = JSONWriter(pretty: options.pretty)
            json.beginObject()
            json.key("Node")
            if let node { node.write(to: &json) } else { json.null() }
            json.key("Services")
            if node == nil {
                json.null()
            } else {
                json.beginArray()
                for s in services where q.matches({ var w = JSONWriter(); s.write(to: &w); return w }) { s.write(to: &json) }
                json.endArray()
            }
            json.endObject()
            return self.api.result(&json, index: index, watched: [.node(name)], meta: meta, options: options)
        }
    }
}

/// 8-4-4-4-12 hexadecimal.
func isUUIDText(_ s: String) -> Bool { UUIDText.isValid(s) }
