import HTTP1

/// `/v1/snapshot` (docs/snapshot.md): `GET` streams an archive of the replicated state taken on
/// the leader (any server with `?stale`); `PUT` restores one through the leader. A client agent
/// forwards both to a server; `?dc=` reaches another datacenter's servers.
final class SnapshotEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let server: OperatorAgent?

    init(api: ConsulHTTPAPI, server: OperatorAgent?) {
        self.api = api
        self.server = server
    }

    func handle(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        guard let server else { return responder.respond(.text(500, "No known Consul servers")) }
        let stale = request.query.has("stale")
        if request.method == "PUT" && stale { return responder.respond(.text(400, "stale not allowed for restore")) }
        server.routeOperatorRequest(request, allowStale: stale) { [api] route in
            if case .answered(let response) = route { return responder.respond(response) }
            if request.method == "PUT" {
                server.restoreSnapshot(request.body) { error in responder.respond(error?.response ?? HTTPResponse(status: 200)) }
                return
            }
            api.backend.prepareRead(stale ? .stale : .default) { outcome in
                switch outcome {
                case .failure(let error): responder.respond(.text(500, error.message))
                case .success(let meta):
                    server.saveSnapshot { result in
                        switch result {
                        case .failure(let error): responder.respond(error.response)
                        case .success(let (index, archive)):
                            var headers = HTTPHeaders()
                            headers.add("Content-Type", "application/x-tar")
                            headers.add("X-Consul-Index", String(max(index, 1)))
                            headers.add("X-Consul-KnownLeader", meta.knownLeader ? "true" : "false")
                            headers.add("X-Consul-LastContact", String(meta.lastContactMilliseconds))
                            responder.respond(HTTPResponse(status: 200, headers: headers, body: archive))
                        }
                    }
                }
            }
        }
    }
}
