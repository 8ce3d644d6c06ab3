import ConsulAPI
import ConsulState
import HTTP1

/// Per-request element filters shared by catalog and health reads: `node-meta` and `filter`.
struct ReadQuery {
    var nodeMeta: [(String, String)] = []
    var filter: FilterExpression?

    func nodeMetaMatches(_ meta: [String: String]) -> Bool {
        nodeMeta.allSatisfy { meta[$0.0] == $0.1 }
    }

    /// Whether an element passes `?filter=`; the element's JSON is built only when a filter is set.
    func matches(_ element: () -> JSONWriter) -> Bool {
        guard let filter else { return true }
        var writer = element()
        guard let value = try? JSONParser.parse(writer.finish()) else { return false }
        return filter.matches(value)
    }
}

extension ConsulHTTPAPI {
    /// Parses `node-meta` (`key:value`, repeatable) and `filter`; a bad filter is a 400.
    func readQuery(_ request: HTTPRequest, _ options: QueryOptions, _ responder: Responder) -> ReadQuery? {
        var q = ReadQuery()
        for item in request.query.values("node-meta") {
            guard let colon = item.firstIndex(of: ":") else {
                responder.respond(.text(400, "Invalid node-meta filter: \(item)"))
                return nil
            }
            q.nodeMeta.append((String(item[..<colon]), String(item[item.index(after: colon)...])))
        }
        if let text = request.query["filter"], !text.isEmpty {
            do { q.filter = try FilterExpression.parse(text) } catch {
                responder.respond(.text(400, "Failed to create boolean expression evaluator: \(error)"))
                return nil
            }
        }
        return q
    }

    /// A 200 JSON answer with query metadata, as a blocking-query result.
    func result(_ json: inout JSONWriter, index: UInt64, watched: [WatchScope], meta: QueryMeta,
                options: QueryOptions) -> QueryResult {
        var response = HTTPResponse.json(&json)
        response.setQueryMeta(index: index, meta: meta, consistency: options.consistency)
        return QueryResult(response: response, index: index, watched: watched)
    }
}
