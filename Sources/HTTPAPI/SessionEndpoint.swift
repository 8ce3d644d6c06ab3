import ConsulAPI
import ConsulState
import HTTP1
import Platform
import Wire

/// `/v1/session/*` (http-api.md §7.1): create, destroy, renew, info, node, list.
final class SessionEndpoint {
    private unowned let api: ConsulHTTPAPI

    init(api: ConsulHTTPAPI) { self.api = api }

    func create(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        var body: JSONValue?
        if !request.body.isEmpty {
            guard let parsed = api.jsonBody(request, responder) else { return }
            body = parsed
        }
        var session: Session
        do { session = try Session.decodeCreate(body, defaultNode: api.agent.nodeName, minTTL: api.config.sessionTTLMinNanoseconds) } catch {
            // Consul answers a bad TTL or Behavior with 500; the issue asks for a client error, and
            // clients treat both as failures, so every body problem is a 400 here.
            return responder.respond(.text(400, error.message))
        }
        session.id = randomUUID(api.random)
        api.create(.sessionCreate(session), id: session.id, options: options, responder)
    }

    func destroy(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        guard let id = pathID(request, "/v1/session/destroy/", responder) else { return }
        api.write(.sessionDestroy(id: id), options: options, responder)
    }

    func renew(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        guard let id = pathID(request, "/v1/session/renew/", responder) else { return }
        api.backend.apply(.sessionRenew(id: id)) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success(.json(_, let body)): responder.respond(.jsonDocument(body, status: 200, pretty: options.pretty))
            case .success(.bool):
                // Patroni and the Go client rely on 404 for a session that no longer exists.
                responder.respond(.text(404, "Session id '\(id)' not found"))
            }
        }
    }

    func info(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        guard let id = pathID(request, "/v1/session/info/", responder) else { return }
        list(options, responder) { store in store.session(id).map { [$0] } ?? [] }
    }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let node = String(request.path.dropFirst("/v1/session/node/".count))
        guard !node.isEmpty else { return responder.respond(.text(400, "Missing node name")) }
        list(options, responder) { store in store.sessions(onNode: node) }
    }

    func all(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        list(options, responder) { store in store.allSessions }
    }

    private func list(_ options: QueryOptions, _ responder: Responder, _ select: @escaping (StateStore) -> [Session]) {
        api.read(options, responder) { store, meta in
            let sessions = select(store)
            var json = JSONWriter(pretty: options.pretty, reserve: 256 * sessions.count + 2)
            json.beginArray()
            for s in sessions { s.write(to: &json) }
            json.endArray()
            var response = HTTPResponse.json(&json)
            let index = store.sessionsIndex
            response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
            return QueryResult(response: response, index: index, watched: [.sessions])
        }
    }

    private func pathID(_ request: HTTPRequest, _ prefix: String, _ responder: Responder) -> String? {
        let id = String(request.path.dropFirst(prefix.count))
        if id.isEmpty { responder.respond(.text(400, "Missing session")); return nil }
        return id
    }
}

/// A random (version 4) UUID in Consul's lowercase text form.
func randomUUID(_ random: RandomSource) -> String { UUIDText.random(random.nextUInt64) }
