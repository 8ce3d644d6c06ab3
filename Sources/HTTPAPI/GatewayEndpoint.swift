import ConsulAPI
import HTTP1

/// Gateway reads: `/v1/catalog/gateway-services/<gateway>` and `/v1/health/ingress/<service>`.
/// This build has no service mesh, so no gateway is ever configured: Consul's answers for an
/// unknown gateway (`null`) and a service no ingress gateway fronts (`[]`), blocking on the
/// catalog like Consul's.
final class GatewayEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func gatewayServices(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/catalog/gateway-services/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing gateway name")) }
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            var json = JSONWriter(pretty: options.pretty)
            json.null()
            return self.api.result(&json, index: store.catalogServices().index, watched: [.catalogServices], meta: meta, options: options)
        }
    }

    func ingressHealth(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/health/ingress/".count))
        if name.isEmpty { return responder.respond(.text(400, "Missing service name")) }
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            var json = JSONWriter(pretty: options.pretty)
            json.beginArray()
            json.endArray()
            return self.api.result(&json, index: store.serviceHealth(name, tags: []).index, watched: [.service(name)],
                                   meta: meta, options: options)
        }
    }
}
