import ConsulAPI
import ConsulState
import HTTP1
import Platform

/// `/v1/query` and `/v1/query/<id>[/execute|/explain]` (http-api.md §10.2).
final class PreparedQueryEndpoint {
    private unowned let api: ConsulHTTPAPI
    static let notFound = "Query not found"

    init(api: ConsulHTTPAPI) { self.api = api }

    /// `/v1/query`: POST creates, GET lists.
    func general(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        if request.method == "GET" {
            return list(options, responder) { store in store.allPreparedQueries }
        }
        guard var query = decodeBody(request, responder) else { return }
        query.id = randomUUID(api.random)
        api.create(.querySet(query, create: true), id: query.id, options: options, responder)
    }

    /// `/v1/query/<id>` (GET, PUT, DELETE) and its `/execute` and `/explain` forms.
    func specific(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let rest = String(request.path.dropFirst("/v1/query/".count))
        if rest.hasSuffix("/execute") {
            guard request.method == "GET" else { return responder.respond(.text(405, "method \(request.method) not allowed")) }
            return execute(String(rest.dropLast("/execute".count)), request, options, responder)
        }
        if rest.hasSuffix("/explain") {
            guard request.method == "GET" else { return responder.respond(.text(405, "method \(request.method) not allowed")) }
            return explain(String(rest.dropLast("/explain".count)), options, responder)
        }
        guard !rest.isEmpty, !rest.contains("/") else { return responder.respond(.text(400, "Missing query ID")) }
        switch request.method {
        case "GET":
            api.read(options, responder) { store, meta in
                guard let q = store.preparedQuery(rest) else {
                    return QueryResult(response: .text(404, PreparedQueryEndpoint.notFound), index: store.preparedQueriesIndex,
                                       watched: [.preparedQueries])
                }
                return self.listResult([q], store: store, meta: meta, options: options)
            }
        case "PUT":
            guard var query = decodeBody(request, responder) else { return }
            query.id = rest
            apply(.querySet(query, create: false), responder)
        case "DELETE":
            apply(.queryDelete(id: rest), responder)
        default:
            responder.respond(.text(405, "method \(request.method) not allowed"))
        }
    }

    private func apply(_ command: Command, _ responder: Responder) {
        api.backend.apply(command) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success: responder.respond(HTTPResponse(status: 200))
            }
        }
    }

    private func decodeBody(_ request: HTTPRequest, _ responder: Responder) -> PreparedQuery? {
        guard let body = api.jsonBody(request, responder) else { return nil }
        let query: PreparedQuery
        do { query = try PreparedQuery.decode(body) } catch {
            responder.respond(.text(400, error.message))
            return nil
        }
        if let reason = PreparedQueryEndpoint.shapeFailure(query) {
            responder.respond(.text(400, reason))
            return nil
        }
        return query
    }

    /// Rules that need no state (Consul's `parseQuery`).
    static func shapeFailure(_ q: PreparedQuery) -> String? {
        if q.service.isEmpty { return "Must provide a Service name to query" }
        if !q.templateType.isEmpty && q.templateType != "name_prefix_match" { return "Bad Template.Type '\(q.templateType)'" }
        if let reason = QueryTemplate.regexpError(q.templateRegexp) { return reason }
        if q.failoverNearestN < 0 { return "Bad NearestN '\(q.failoverNearestN)', must be >= 0" }
        if !q.dnsTTL.isEmpty {
            guard let ttl = GoDuration.parse(q.dnsTTL) else { return "Bad DNS TTL '\(q.dnsTTL)': time: invalid duration \"\(q.dnsTTL)\"" }
            if ttl < 0 { return "DNS TTL '\(q.dnsTTL)', must be >=0" }
        }
        return nil
    }

    private func list(_ options: QueryOptions, _ responder: Responder, _ select: @escaping (StateStore) -> [PreparedQuery]) {
        api.read(options, responder) { store, meta in
            self.listResult(select(store), store: store, meta: meta, options: options)
        }
    }

    private func listResult(_ queries: [PreparedQuery], store: StateStore, meta: QueryMeta, options: QueryOptions) -> QueryResult {
        var json = JSONWriter(pretty: options.pretty, reserve: 512 * queries.count + 2)
        json.beginArray()
        for q in queries { q.write(to: &json) }
        json.endArray()
        var response = HTTPResponse.json(&json)
        let index = store.preparedQueriesIndex
        response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
        return QueryResult(response: response, index: index, watched: [.preparedQueries])
    }

    private func explain(_ idOrName: String, _ options: QueryOptions, _ responder: Responder) {
        api.read(options, responder) { store, meta in
            guard let q = store.resolvePreparedQuery(idOrName) else {
                return QueryResult(response: .text(404, PreparedQueryEndpoint.notFound), index: 0, watched: [])
            }
            var json = JSONWriter(pretty: options.pretty, reserve: 1024)
            json.beginObject()
            json.key("Query"); q.write(to: &json)
            json.endObject()
            var response = HTTPResponse.json(&json)
            response.setQueryMeta(index: store.preparedQueriesIndex, meta: meta, consistency: options.consistency)
            return QueryResult(response: response, index: store.preparedQueriesIndex, watched: [])
        }
    }

    private func execute(_ idOrName: String, _ request: HTTPRequest, _ options: QueryOptions, _ responder: Responder) {
        var limit = 0
        if let text = request.query["limit"] {
            guard let n = Int(text), n >= 0 else { return responder.respond(.text(400, "Bad limit: strconv.Atoi: parsing \(goQuoted(text)): invalid syntax")) }
            limit = n
        }
        api.backend.prepareRead(options.consistency) { [self] outcome in
            let meta: QueryMeta
            switch outcome {
            case .failure(let error): return responder.respond(.text(500, error.message))
            case .success(let m): meta = m
            }
            let store = api.backend.store
            guard let q = store.resolvePreparedQuery(idOrName) else { return responder.respond(.text(404, PreparedQueryEndpoint.notFound)) }
            let (rows, index) = store.executePreparedQuery(q)
            let answer = { (rows: [ServiceHealth], datacenter: String, failovers: Int) in
                responder.respond(self.executeResponse(q, rows, request: request, limit: limit, datacenter: datacenter,
                                                       failovers: failovers, index: index, meta: meta, options: options))
            }
            api.preparedQueryResults(q, localRows: rows, completion: answer)
        }
    }

    private func executeResponse(_ q: PreparedQuery, _ found: [ServiceHealth], request: HTTPRequest, limit: Int, datacenter: String,
                                 failovers: Int, index: UInt64, meta: QueryMeta, options: QueryOptions) -> HTTPResponse {
        var rows = found
        // Shuffled, unless `?near` (or the query's Near) asks for RTT order.
        var shuffler = APIRandom(source: api.random)
        rows.shuffle(using: &shuffler)
        if let near = request.query["near"] ?? (q.near.isEmpty ? nil : q.near) {
            rows = api.sortedNear(rows, origin: near) { $0.node.node }
        }
        if limit > 0 && rows.count > limit { rows = Array(rows.prefix(limit)) }
        var json = JSONWriter(pretty: options.pretty, reserve: 1024 * rows.count + 128)
        json.beginObject()
        json.field("Service", q.service)
        json.key("Nodes")
        json.beginArray()
        for row in rows { HealthEndpoint.writeRow(row, &json) }
        json.endArray()
        json.key("DNS")
        json.beginObject()
        json.field("TTL", q.dnsTTL)
        json.endObject()
        json.field("Datacenter", datacenter)
        json.field("Failovers", failovers)
        json.endObject()
        var response = HTTPResponse.json(&json)
        response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
        return response
    }

    /// `health/service` rows from another datacenter's answer (malformed rows are skipped).
    static func healthRows(_ body: [UInt8]) -> [ServiceHealth] {
        guard let items = (try? JSONParser.parse(body))?.arrayValue else { return [] }
        return items.compactMap { item -> ServiceHealth? in
            guard let n = item["Node"], let s = item["Service"], s.objectValue != nil,
                  let service = try? NodeService.decode(JSONFields(s)) else { return nil }
            var node = CatalogNode()
            node.id = n["ID"]?.stringValue ?? ""
            node.node = n["Node"]?.stringValue ?? ""
            node.address = n["Address"]?.stringValue ?? ""
            node.datacenter = n["Datacenter"]?.stringValue ?? ""
            node.taggedAddresses = (try? JSONFields(n).stringMap("TaggedAddresses")) ?? [:]
            node.meta = (try? JSONFields(n).stringMap("Meta")) ?? [:]
            let checks = (item["Checks"]?.arrayValue ?? []).compactMap { try? HealthCheck.decode(JSONFields($0)) }
            return ServiceHealth(node: node, service: service, checks: checks)
        }
    }
}

/// Shuffling with the API's RandomSource (tests fix it).
struct APIRandom: RandomNumberGenerator {
    let source: RandomSource
    mutating func next() -> UInt64 { source.nextUInt64() }
}
