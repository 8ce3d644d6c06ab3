import ConsulAPI
import HTTP1

/// Sessions and lock calls (`consul lock`), with the Go API client's semantics.
extension ConsulHTTPClient {
    /// Creates a session bound to the agent's node; returns its ID.
    public func sessionCreate(name: String, ttl: String, lockDelay: String = "15s", behavior: String = "release") throws -> String {
        var json = JSONWriter()
        json.beginObject()
        json.field("Name", name)
        json.field("TTL", ttl)
        json.field("LockDelay", lockDelay)
        json.field("Behavior", behavior)
        json.endObject()
        let response = try sendExpectingOK("PUT", "/v1/session/create", body: json.finish())
        guard let id = try self.json(response)["ID"]?.stringValue else { throw ClientError.badResponse("session create without ID") }
        return id
    }

    /// Renews a session; false when the server no longer knows it (404).
    public func sessionRenew(_ id: String) throws -> Bool {
        let response = try send("PUT", "/v1/session/renew/" + id)
        if response.status == 404 { return false }
        guard response.status == 200 else { throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText) }
        return true
    }

    public func sessionDestroy(_ id: String) throws {
        _ = try sendExpectingOK("PUT", "/v1/session/destroy/" + id)
    }

    /// `PUT ?acquire=` / `?release=`; the server's boolean.
    public func kvLock(_ key: String, session: String, value: [UInt8], flags: UInt64, release: Bool = false) throws -> Bool {
        var query: [(String, String?)] = [(release ? "release" : "acquire", session)]
        if flags != 0 { query.append(("flags", String(flags))) }
        let response = try sendExpectingOK("PUT", "/v1/kv/" + key, query: query, body: value)
        return response.bodyText.contains("true")
    }

    /// A blocking read of one key (or, with `recurse`, a prefix): the entries and `X-Consul-Index`.
    public func kvBlocking(_ key: String, recurse: Bool = false, index: UInt64, waitSeconds: Int,
                           consistent: Bool = false, waitMilliseconds: Int? = nil) throws -> (pairs: [KVPair], index: UInt64) {
        let wait = waitMilliseconds.map { "\($0)ms" } ?? "\(waitSeconds)s"
        var query: [(String, String?)] = [("index", String(index)), ("wait", wait)]
        if recurse { query.append(("recurse", nil)) }
        if consistent { query.append(("consistent", nil)) }
        let response = try send("GET", "/v1/kv/" + key, query: query)
        let newIndex = response.headers["X-Consul-Index"].flatMap { UInt64($0) } ?? 0
        if response.status == 404 { return ([], newIndex) }
        guard response.status == 200 else { throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText) }
        guard let items = try json(response).arrayValue else { throw ClientError.badResponse("expected a list of entries") }
        let pairs = try items.map {
            guard let pair = KVPair(json: $0) else { throw ClientError.badResponse("malformed KV entry") }
            return pair
        }
        return (pairs, newIndex)
    }
}
