import HTTP1
import Metrics

public typealias RouteHandler = (HTTPRequest, Responder) -> Void

/// Consul's routing: exact patterns, and patterns ending in `/` that own everything below them.
/// A route declares its methods; others get 405 with `Allow`, and OPTIONS answers with `Allow`.
public final class Router {
    private struct Route {
        let pattern: String
        let methods: [String]
        let handler: RouteHandler
        /// `consul.api.http` per method, made when the route is added (index as `methods`).
        var timers: [Metric] = []
        var allowHeader: String { (["OPTIONS"] + methods).joined(separator: ",") }
    }

    private var exact: [String: Route] = [:]
    /// Longest first, so `/v1/agent/service/` wins over `/v1/agent/`.
    private var prefixes: [Route] = []
    /// Headers every response carries (Consul's `X-Consul-Default-Acl-Policy`, user headers).
    public var commonHeaders: [(String, String)] = []
    /// Answer for paths outside `/v1/` (index page or UI).
    public var fallback: RouteHandler?
    /// `http_config.allow_write_http_from`: whether a write (not GET, HEAD or OPTIONS) may
    /// proceed; nil allows all. Refused writes get Consul's 403 "Access is restricted".
    public var writeAllowed: ((HTTPRequest) -> Bool)?
    /// Records `consul.api.http` for every request a route answers.
    var timing: RequestTiming?

    public init() {}

    public func add(_ pattern: String, methods: [String], _ handler: @escaping RouteHandler) {
        var route = Route(pattern: pattern, methods: methods, handler: handler)
        if let timing { route.timers = methods.map { timing.metric(pattern: pattern, method: $0) } }
        if pattern.hasSuffix("/") {
            prefixes.append(route)
            prefixes.sort { $0.pattern.utf8.count > $1.pattern.utf8.count }
        } else {
            exact[pattern] = route
        }
    }

    public func dispatch(_ request: HTTPRequest, _ responder: Responder) {
        let common = commonHeaders
        let withCommon = { (response: HTTPResponse) -> HTTPResponse in
            var r = response
            for (name, value) in common where r.headers[name] == nil { r.headers.add(name, value) }
            return r
        }
        let wrapped = Responder({ responder.respond(withCommon($0)) }, stream: responder.canStream ? { part in
            if case .head(let head) = part { responder.relay(.head(withCommon(head))) } else { responder.relay(part) }
        } : nil)
        wrapped.backlogBytes = { responder.backlogBytes() }
        responder.onCancel { wrapped.cancel() }

        // Paths with control characters (even percent-encoded) are refused outright.
        if request.path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            wrapped.respond(.text(400, "Invalid URL path: contains non-printable characters"))
            return
        }
        guard let route = match(request.path) else {
            if request.path.hasPrefix("/v1/") || request.path == "/v1" {
                wrapped.respond(.text(404, "Invalid URL path: not a recognized HTTP API endpoint\n"))
            } else if let fallback {
                fallback(request, wrapped)
            } else {
                wrapped.respond(HTTPResponse(status: 404))
            }
            return
        }
        if let writeAllowed, !["GET", "HEAD", "OPTIONS"].contains(request.method), !writeAllowed(request) {
            return wrapped.respond(.text(403, "Access is restricted"))
        }
        if request.method == "OPTIONS" {
            var headers = HTTPHeaders()
            headers.add("Allow", route.allowHeader)
            wrapped.respond(HTTPResponse(status: 200, headers: headers))
            return
        }
        guard route.methods.contains(request.method) else {
            var headers = HTTPHeaders()
            headers.add("Allow", route.allowHeader)
            wrapped.respond(.text(405, "method \(request.method) not allowed", headers: headers))
            return
        }
        // Records the route's duration when the answer (or a stream's head) goes out.
        if let timing, let i = route.methods.firstIndex(of: request.method), i < route.timers.count {
            wrapped.startTiming(route.timers[i], clock: timing.clock)
        }
        route.handler(request, wrapped)
    }

    private func match(_ path: String) -> Route? {
        if let route = exact[path] { return route }
        return prefixes.first { path.hasPrefix($0.pattern) }
    }
}
