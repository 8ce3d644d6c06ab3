/// One parsed HTTP/1.x request: the head with its target already split and percent-decoded,
/// and the whole body (de-chunked).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as sent (`/v1/kv/a%2Fb?recurse`).
    public var target: String
    /// The percent-decoded path (`/v1/kv/a/b`).
    public var path: String
    /// The query string as sent, without `?` (empty when absent).
    public var rawQuery: String
    public var query: QueryItems
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the connection stays open after the response (HTTP/1.1 default, or 1.0 keep-alive).
    public var keepAlive: Bool
    /// The client's IP address as the connection saw it ("" for requests made in-process).
    public var remoteAddress = ""

    public init(method: String, target: String, path: String, rawQuery: String = "", query: QueryItems = QueryItems(),
                versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool = true) {
        self.method = method
        self.target = target
        self.path = path
        self.rawQuery = rawQuery
        self.query = query
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// Builds a request from a target such as `/v1/kv/a?recurse`, decoding it as the parser does.
    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) throws(HTTPParseError) {
        let parts = try splitTarget(Array(target.utf8))
        self.init(method: method, target: target, path: parts.path, rawQuery: parts.rawQuery, query: parts.query,
                  headers: headers, body: body)
    }
}

/// Decoded query parameters in order; a name may repeat (`?tag=a&tag=b`).
public struct QueryItems: Sendable, Equatable {
    public private(set) var items: [(name: String, value: String)] = []

    public init() {}
    public init(_ items: [(String, String)]) { self.items = items.map { (name: $0.0, value: $0.1) } }

    public mutating func append(_ name: String, _ value: String) { items.append((name: name, value: value)) }

    /// Presence test: Consul treats `?recurse`, `?recurse=1` and `?recurse=false` alike.
    public func has(_ name: String) -> Bool { items.contains { $0.name == name } }

    /// The first value for `name`, or nil when absent.
    public subscript(name: String) -> String? {
        for item in items where item.name == name { return item.value }
        return nil
    }

    public func values(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }

    public static func == (lhs: QueryItems, rhs: QueryItems) -> Bool {
        lhs.items.count == rhs.items.count
            && zip(lhs.items, rhs.items).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Splits a raw request target into decoded path and query.
func splitTarget(_ target: [UInt8]) throws(HTTPParseError) -> (path: String, rawQuery: String, query: QueryItems) {
    let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
    let rawPath = target[..<(questionMark ?? target.endIndex)]
    guard rawPath.first == UInt8(ascii: "/") || (rawPath.count == 1 && rawPath.first == UInt8(ascii: "*")) else {
        throw .badTarget
    }
    guard let path = percentDecode(rawPath, plusIsSpace: false) else { throw .badPercentEncoding }
    var rawQuery: ArraySlice<UInt8> = []
    if let q = questionMark { rawQuery = target[(q + 1)...] }
    guard let query = parseQuery(rawQuery) else { throw .badPercentEncoding }
    return (String(decoding: path, as: UTF8.self), String(decoding: rawQuery, as: UTF8.self), query)
}
