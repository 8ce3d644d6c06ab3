import ConsulAPI
import HTTP1
import Platform

/// What `/v1/event/*` needs from the agent: user events go out through its gossip pool and
/// come back as the agent-local list of what it received (http-api.md §8).
public protocol UserEventAgent: AnyObject {
    /// Assigns the event its ID and broadcasts it; the fired event, or the 500 text.
    func fireUserEvent(_ event: UserEvent) -> Result<UserEvent, HTTPResponseError>
    /// The events this agent recorded, oldest first (at most 256).
    func userEvents() -> [UserEvent]
    /// Runs `wake` once after the next recorded event; returns a cancel token.
    func watchUserEvents(_ wake: @escaping () -> Void) -> UInt64
    func cancelUserEventWatch(_ token: UInt64)
}

extension ConsulHTTPAPI {
    /// Adds `PUT /v1/event/fire/<name>` and `GET /v1/event/list` (called by the agent that owns the events).
    public func registerEventRoutes(_ events: UserEventAgent) {
        let endpoint = EventEndpoint(api: self, events: events)
        router.add("/v1/event/fire/", methods: ["PUT"]) { endpoint.fire($0, $1) }
        router.add("/v1/event/list", methods: ["GET"]) { endpoint.list($0, $1) }
    }
}

final class EventEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let events: UserEventAgent

    init(api: ConsulHTTPAPI, events: UserEventAgent) {
        self.api = api
        self.events = events
    }

    func fire(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let refusal = api.checkDatacenter(options) { return responder.respond(refusal) }
        let name = String(request.path.dropFirst("/v1/event/fire/".count))
        guard !name.isEmpty else { return responder.respond(.text(400, "Missing name")) }
        let event = UserEvent(name: name, payload: request.body.isEmpty ? nil : request.body,
                              nodeFilter: request.query["node"] ?? "", serviceFilter: request.query["service"] ?? "",
                              tagFilter: request.query["tag"] ?? "")
        switch events.fireUserEvent(event) {
        case .failure(let error): responder.respond(error.response)
        case .success(let fired):
            var json = JSONWriter(pretty: options.pretty)
            fired.write(to: &json)
            responder.respond(.json(&json))
        }
    }

    /// Blocks while the list's index (a hash of the newest event's ID, not monotonic) equals
    /// `?index`, up to `wait` (default and cap: the agent's max query time).
    func list(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        let nameFilter = request.query["name"] ?? ""
        let render: () -> (HTTPResponse, UInt64) = { [events] in
            var list = events.userEvents()
            if !nameFilter.isEmpty { list = list.filter { $0.name == nameFilter } }
            let index = UserEvent.listIndex(list)
            var json = JSONWriter(pretty: options.pretty)
            json.beginArray()
            for event in list { event.write(to: &json) }
            json.endArray()
            let headers = HTTPHeaders([("X-Consul-Index", String(index)), ("X-Consul-KnownLeader", "true"),
                                       ("X-Consul-LastContact", "0")])
            return (.json(&json, headers: headers), index)
        }
        let (first, index) = render()
        guard options.minIndex > 0, index == options.minIndex else { return responder.respond(first) }
        var wait = options.waitNanoseconds == 0 ? api.config.maxQueryTimeNanoseconds : options.waitNanoseconds
        wait = min(wait, api.config.maxQueryTimeNanoseconds)
        let events = self.events
        SignalledWait(clock: api.clock, responder: responder, heldVersion: index, timeoutNanoseconds: wait, render: render,
                      subscribe: { events.watchUserEvents($0) }, unsubscribe: { events.cancelUserEventWatch($0) })
    }
}
