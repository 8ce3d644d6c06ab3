import ConsulAPI

/// Prepared queries by ID, with the index reads report.
struct PreparedQueryTable {
    private(set) var byID: [String: PreparedQuery] = [:]
    var index: UInt64 = 0

    mutating func put(_ q: PreparedQuery) { byID[q.id] = q }
    @discardableResult mutating func remove(_ id: String) -> PreparedQuery? { byID.removeValue(forKey: id) }

    var all: [PreparedQuery] { byID.keys.sorted().map { byID[$0]! } }

    func named(_ name: String) -> PreparedQuery? { byID.values.first { !$0.isTemplate && $0.name == name } }
}

extension PreparedQuery {
    /// The Raft log and snapshot form: the API JSON with the token shown.
    func encodedJSON() -> [UInt8] {
        var json = JSONWriter()
        write(to: &json, revealToken: true)
        return json.finish()
    }

    static func decode(encodedJSON bytes: [UInt8]) throws(DecodeError) -> PreparedQuery {
        do { return try PreparedQuery.decode(try JSONParser.parse(bytes)) } catch {
            throw DecodeError("prepared query: \(error)")
        }
    }
}
