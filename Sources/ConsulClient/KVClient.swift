import ConsulAPI
import HTTP1

/// The KV calls the CLI makes, with the Go API client's semantics (404 → nil, bodies `true`/`false`).
extension ConsulHTTPClient {
    public func kvGet(_ key: String) throws -> KVPair? {
        let response = try send("GET", "/v1/kv/" + key)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText) }
        return try kvPairs(response).first
    }

    public func kvList(_ prefix: String) throws -> [KVPair] {
        let response = try send("GET", "/v1/kv/" + prefix, query: [("recurse", nil)])
        if response.status == 404 { return [] }
        guard response.status == 200 else { throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText) }
        return try kvPairs(response)
    }

    public func kvKeys(_ prefix: String, separator: String) throws -> [String] {
        var query: [(String, String?)] = [("keys", nil)]
        if !separator.isEmpty { query.append(("separator", separator)) }
        let response = try send("GET", "/v1/kv/" + prefix, query: query)
        if response.status == 404 { return [] }
        guard response.status == 200 else { throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText) }
        guard let items = try json(response).arrayValue else { throw ClientError.badResponse("expected a list of keys") }
        return items.compactMap(\.stringValue)
    }

    /// PUT; with `cas` it is a check-and-set. Returns the server's boolean.
    public func kvPut(_ key: String, value: [UInt8], flags: UInt64, cas: UInt64? = nil) throws -> Bool {
        var query: [(String, String?)] = []
        if flags != 0 { query.append(("flags", String(flags))) }
        if let cas { query.append(("cas", String(cas))) }
        let response = try sendExpectingOK("PUT", "/v1/kv/" + key, query: query, body: value)
        return response.bodyText.contains("true")
    }

    public func kvDelete(_ key: String, recurse: Bool, cas: UInt64? = nil) throws -> Bool {
        var query: [(String, String?)] = []
        if recurse { query.append(("recurse", nil)) }
        if let cas { query.append(("cas", String(cas))) }
        let response = try sendExpectingOK("DELETE", "/v1/kv/" + key, query: query)
        return response.bodyText.contains("true")
    }

    private func kvPairs(_ response: HTTPClientResponse) throws -> [KVPair] {
        guard let items = try json(response).arrayValue else { throw ClientError.badResponse("expected a list of entries") }
        return try items.map {
            guard let pair = KVPair(json: $0) else { throw ClientError.badResponse("malformed KV entry") }
            return pair
        }
    }
}
