import ConsulAPI
import ConsulState
import HTTP1
import Platform

/// `/v1/kv/<key>`: GET (single, recurse, keys, raw, blocking), PUT (cas, flags), DELETE (recurse, cas).
/// Mirrors Consul's agent/kvs_endpoint.go, including which mistakes are 400 and which are 500.
final class KVEndpoint {
    private unowned let api: ConsulHTTPAPI

    init(api: ConsulHTTPAPI) { self.api = api }

    static let maxValueSizeDocs = "https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size"

    func handle(_ request: HTTPRequest, _ responder: Responder) {
        let options: QueryOptions
        switch QueryOptions.parse(request, prettyByDefault: api.config.prettyByDefault) {
        case .success(let o): options = o
        case .failure(let e): return responder.respond(e.response)
        }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let key = String(request.path.dropFirst("/v1/kv/".count))
        switch request.method {
        case "GET":
            if request.query.has("keys") { getKeys(request, key: key, options: options, responder) }
            else { get(request, key: key, options: options, responder) }
        case "PUT": put(request, key: key, options: options, responder)
        case "DELETE": delete(request, key: key, options: options, responder)
        default: responder.respond(.text(405, "method \(request.method) not allowed"))
        }
    }

    // MARK: GET

    private func get(_ request: HTTPRequest, key: String, options: QueryOptions, _ responder: Responder) {
        let recurse = request.query.has("recurse")
        if !recurse && key.isEmpty { return responder.respond(.text(400, "Missing key name")) }
        let raw = request.query.has("raw") && !recurse
        api.read(options, responder) { store, meta in
            let entries: [KVPair], index: UInt64, watched: WatchScope
            if recurse {
                (entries, index) = store.kvList(prefix: key)
                watched = .kvPrefix(key)
            } else {
                entries = store.kvGet(key).map { [$0] } ?? []
                index = store.kvKeyIndex(key)
                watched = .kvKey(key)
            }
            var response: HTTPResponse
            if entries.isEmpty {
                response = HTTPResponse(status: 404)
            } else if raw {
                var headers = HTTPHeaders()
                headers.add("Content-Type", "text/plain")
                headers.add("X-Content-Type-Options", "nosniff")
                headers.add("Content-Security-Policy", "sandbox")
                response = HTTPResponse(status: 200, headers: headers, body: entries[0].value)
            } else {
                var json = JSONWriter(pretty: options.pretty, reserve: 160 * entries.count)
                json.beginArray()
                for entry in entries { entry.write(to: &json) }
                json.endArray()
                response = .json(&json)
            }
            response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
            return QueryResult(response: response, index: index, watched: [watched])
        }
    }

    private func getKeys(_ request: HTTPRequest, key: String, options: QueryOptions, _ responder: Responder) {
        // Consul still honours its historic misspelling; the correct spelling wins when both appear.
        let separator = request.query["separator"] ?? request.query["seperator"] ?? ""
        api.read(options, responder) { store, meta in
            let (keys, index) = store.kvKeys(prefix: key, separator: separator)
            var response: HTTPResponse
            if keys.isEmpty && !key.isEmpty {
                response = HTTPResponse(status: 404)
            } else {
                var json = JSONWriter(pretty: options.pretty, reserve: 32 * keys.count + 2)
                json.beginArray()
                for k in keys { json.string(k) }
                json.endArray()
                response = .json(&json)
            }
            response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
            return QueryResult(response: response, index: index, watched: [.kvPrefix(key)])
        }
    }

    // MARK: PUT

    private func put(_ request: HTTPRequest, key: String, options: QueryOptions, _ responder: Responder) {
        if key.isEmpty { return responder.respond(.text(400, "Missing key name")) }
        if let conflict = conflictingFlags(request, ["cas", "acquire", "release"]) { return responder.respond(conflict) }
        var flags: UInt64 = 0
        if let text = request.query["flags"] {
            guard let value = UInt64(text) else {
                return responder.respond(.text(400, "Invalid flags value: strconv.ParseUint: parsing \(goQuoted(text)): invalid syntax"))
            }
            flags = value
        }
        var casIndex: UInt64?
        if let text = request.query["cas"] {
            guard let value = UInt64(text) else {
                return responder.respond(.text(400, "Invalid cas value: strconv.ParseUint: parsing \(goQuoted(text)): invalid syntax"))
            }
            casIndex = value
        }
        let size = Int(request.headers["Content-Length"] ?? "") ?? request.body.count
        let maxSize = api.config.kvMaxValueSize
        if size > maxSize || request.body.count > maxSize {
            return responder.respond(.text(413, "Request body(\(max(size, request.body.count)) bytes) too large, max size: \(maxSize) bytes. See \(KVEndpoint.maxValueSizeDocs)."))
        }
        let command: Command
        if let session = request.query["acquire"] {
            command = .kvLock(key: key, value: request.body, flags: flags, session: session)
        } else if let session = request.query["release"] {
            command = .kvUnlock(key: key, value: request.body, flags: flags, session: session)
        } else if let casIndex {
            command = .kvCAS(key: key, value: request.body, flags: flags, index: casIndex)
        } else {
            command = .kvSet(key: key, value: request.body, flags: flags)
        }
        if case .kvLock = command { return writeLock(command, options, responder) }
        if case .kvUnlock = command { return writeLock(command, options, responder) }
        api.write(command, options: options, responder)
    }

    /// Acquire/release: a missing or unknown session is the client's mistake — 400 (Consul
    /// answers 500; clients treat both as errors).
    private func writeLock(_ command: Command, _ options: QueryOptions, _ responder: Responder) {
        api.backend.apply(command) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.bool(let ok)): responder.respond(.jsonBool(ok, pretty: options.pretty))
            case .success(.failure(let reason)):
                let clientError = reason.hasPrefix("invalid session") || reason == "missing session"
                responder.respond(.text(clientError ? 400 : 500, reason))
            case .success(.json): responder.respond(.text(500, "unexpected lock result"))
            }
        }
    }

    // MARK: DELETE

    private func delete(_ request: HTTPRequest, key: String, options: QueryOptions, _ responder: Responder) {
        if let conflict = conflictingFlags(request, ["recurse", "cas"]) { return responder.respond(conflict) }
        let recurse = request.query.has("recurse")
        if !recurse && key.isEmpty { return responder.respond(.text(400, "Missing key name")) }
        var command: Command = recurse ? .kvDeleteTree(prefix: key) : .kvDelete(key: key)
        if let text = request.query["cas"] {
            guard let value = UInt64(text) else {
                return responder.respond(.text(400, "Invalid cas value: strconv.ParseUint: parsing \(goQuoted(text)): invalid syntax"))
            }
            command = .kvDeleteCAS(key: key, index: value)
        }
        api.write(command, options: options, responder)
    }

    /// Consul's `conflictingFlags`: more than one of `flags` present → 400 naming the whole query.
    private func conflictingFlags(_ request: HTTPRequest, _ flags: [String]) -> HTTPResponse? {
        guard flags.filter({ request.query.has($0) }).count > 1 else { return nil }
        return .text(400, "Conflicting flags: \(encodeQuery(request.query))\n")
    }
}

/// Go's `url.Values.Encode()`: sorted by name (stable for repeats), query-escaped.
func encodeQuery(_ query: QueryItems) -> String {
    let sorted = query.items.enumerated().sorted {
        $0.element.name == $1.element.name ? $0.offset < $1.offset : $0.element.name.utf8.lexicographicallyPrecedes($1.element.name.utf8)
    }
    return sorted.map { "\(queryEscape($0.element.name))=\(queryEscape($0.element.value))" }.joined(separator: "&")
}

/// Go's QueryEscape: like percent-encoding, but space becomes `+`.
private func queryEscape(_ s: String) -> String {
    s.split(separator: " ", omittingEmptySubsequences: false).map { percentEncode(String($0), keep: "") }
        .joined(separator: "+")
}

