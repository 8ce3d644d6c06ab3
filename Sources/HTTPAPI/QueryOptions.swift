import ConsulAPI
import HTTP1

/// The standard read parameters every Consul query endpoint accepts (`index`, `wait`,
/// consistency flags, `dc`), validated with Consul's error texts.
public struct QueryOptions: Equatable, Sendable {
    public var minIndex: UInt64 = 0
    /// Requested `wait` in nanoseconds (0 = use the default).
    public var waitNanoseconds: UInt64 = 0
    public var consistency: Consistency = .default
    public var datacenter: String = ""
    public var pretty = false

    public init() {}

    /// Parses the query string; on failure returns the exact response Consul sends.
    public static func parse(_ request: HTTPRequest, prettyByDefault: Bool) -> Result<QueryOptions, HTTPResponseError> {
        var options = QueryOptions()
        let q = request.query
        options.pretty = prettyByDefault || q.has("pretty")
        options.datacenter = q["dc"] ?? ""
        if let wait = q["wait"], !wait.isEmpty {
            guard let nanos = GoDuration.parse(wait) else { return .failure(.init(400, "Invalid wait time")) }
            options.waitNanoseconds = nanos > 0 ? UInt64(nanos) : 0
        }
        if let index = q["index"], !index.isEmpty {
            guard let value = UInt64(index) else { return .failure(.init(400, "Invalid index")) }
            options.minIndex = value
        }
        let stale = q.has("stale"), consistent = q.has("consistent")
        if stale && consistent {
            return .failure(.init(400, "Cannot specify ?stale with ?consistent, conflicting semantics."))
        }
        if q.has("cached") && consistent {
            return .failure(.init(400, "Cannot specify ?cached with ?consistent, conflicting semantics."))
        }
        if let maxStale = q["max_stale"] {
            guard let nanos = GoDuration.parse(maxStale) else {
                return .failure(.init(400, "Invalid max_stale value \"\(maxStale)\""))
            }
            if nanos > 0 { options.consistency = .stale }
        }
        if stale { options.consistency = .stale }
        if consistent { options.consistency = .consistent }
        return .success(options)
    }
}

/// A handler-chosen failure: status plus plain-text body.
public struct HTTPResponseError: Error, Equatable, Sendable {
    public var status: Int
    public var reason: String
    public init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }
    public var response: HTTPResponse { .text(status, reason) }
}

extension HTTPResponse {
    /// `application/json` with the body the writer produced.
    static func json(_ writer: inout JSONWriter, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var h = headers
        h.add("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: writer.finish())
    }

    /// JSON already rendered (a cached answer).
    static func jsonBody(_ body: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    /// JSON the state machine rendered compactly; re-indented when `?pretty` asks for it.
    static func jsonDocument(_ body: [UInt8], status: Int, pretty: Bool) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        guard pretty, let value = try? JSONParser.parse(body) else { return HTTPResponse(status: status, headers: headers, body: body) }
        var writer = JSONWriter(pretty: true, reserve: body.count * 2)
        value.write(to: &writer)
        return HTTPResponse(status: status, headers: headers, body: writer.finish())
    }

    /// The literal `true`/`false` body of KV writes.
    static func jsonBool(_ value: Bool, pretty: Bool) -> HTTPResponse {
        var writer = JSONWriter(pretty: pretty, reserve: 8)
        writer.bool(value)
        return json(&writer)
    }

    /// Query metadata headers, in Go's canonical spelling. The index is never 0: clients treat 0 as "no index".
    mutating func setQueryMeta(index: UInt64, meta: QueryMeta, consistency: Consistency) {
        headers.add("X-Consul-Index", String(max(index, 1)))
        headers.add("X-Consul-Knownleader", meta.knownLeader ? "true" : "false")
        headers.add("X-Consul-Lastcontact", String(meta.lastContactMilliseconds))
        let level: String
        switch consistency {
        case .default: level = "leader"
        case .consistent: level = "consistent"
        case .stale: level = "stale"
        }
        headers.add("X-Consul-Effective-Consistency", level)
    }
}
