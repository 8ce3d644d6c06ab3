import ConsulAPI
import HTTP1

/// `/v1/status/leader` and `/v1/status/peers`: Raft leadership as addresses.
final class StatusEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func leader(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        var json = JSONWriter(pretty: options.pretty, reserve: 24)
        json.string(api.agent.leaderAddress)
        responder.respond(.json(&json))
    }

    func peers(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        var json = JSONWriter(pretty: options.pretty)
        json.beginArray()
        for peer in api.agent.raftPeers { json.string(peer) }
        json.endArray()
        responder.respond(.json(&json))
    }
}
