import ConsulAPI
import HTTP1

/// Which keyring operation an `/v1/operator/keyring` request asks for.
public enum KeyringRequestKind: String, Sendable {
    case list, install, use, remove
}

/// One gossip pool's answer (Consul's structs.KeyringResponse).
public struct KeyringPoolResponse: Equatable, Sendable {
    public var wan: Bool
    public var datacenter: String
    public var segment: String
    /// Node → message (errors and notes).
    public var messages: [String: String]
    /// base64 key → nodes that have it; primaryKeys → nodes that use it as primary.
    public var keys: [String: Int]
    public var primaryKeys: [String: Int]
    public var numNodes: Int
    /// The pool-level failure ("1/3 nodes reported failure"); empty when the operation succeeded.
    public var error: String

    public init(wan: Bool, datacenter: String, segment: String = "", messages: [String: String], keys: [String: Int],
                primaryKeys: [String: Int], numNodes: Int, error: String) {
        self.wan = wan; self.datacenter = datacenter; self.segment = segment; self.messages = messages
        self.keys = keys; self.primaryKeys = primaryKeys; self.numNodes = numNodes; self.error = error
    }
}

/// `/v1/operator/keyring` (http-api.md §9.4): GET lists, POST installs, PUT makes primary,
/// DELETE removes — each a serf query to every member of the agent's gossip pool.
final class OperatorKeyringEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let local: LocalAgent

    init(api: ConsulHTTPAPI, local: LocalAgent) {
        self.api = api
        self.local = local
    }

    static let relayFactorMax = 5

    func handle(_ request: HTTPRequest, _ responder: Responder) {
        var relayFactor: UInt8 = 0
        if let text = request.query["relay-factor"] {
            guard let value = UInt8(text), Int(value) <= Self.relayFactorMax else {
                return responder.respond(.text(400, "Invalid relay-factor: \(text)"))
            }
            relayFactor = value
        }
        var localOnly = false
        if let text = request.query["local-only"] {
            guard let value = parseGoBool(text) else { return responder.respond(.text(400, "Invalid value for local-only: \(text)")) }
            localOnly = value
        }
        if localOnly && request.method != "GET" {
            return responder.respond(.text(400, "local-only can only be used in GET requests"))
        }
        let kind: KeyringRequestKind
        switch request.method {
        case "GET": kind = .list
        case "POST": kind = .install
        case "PUT": kind = .use
        default: kind = .remove
        }
        var key = ""
        if kind != .list {
            guard let body = api.jsonBody(request, responder) else { return }
            guard let text = body["Key"]?.stringValue else {
                return responder.respond(.text(400, "Request decode failed: missing Key"))
            }
            key = text
        }
        let pretty = api.config.prettyByDefault || request.query.has("pretty")
        local.keyringOperation(kind, key: key, relayFactor: relayFactor, localOnly: localOnly) { outcome in
            switch outcome {
            case .failure(let error):
                responder.respond(error.response)
            case .success(let pools) where kind == .list:
                // Consul lists only when every node answered; otherwise 500 with each failure.
                if let text = Self.errorText(pools) { return responder.respond(.text(500, text)) }
                var json = Self.render(pools, pretty: pretty)
                responder.respond(.json(&json))
            case .success(let pools):
                if let text = Self.errorText(pools) { return responder.respond(.text(500, text)) }
                responder.respond(HTTPResponse(status: 200))
            }
        }
    }

    static func render(_ pools: [KeyringPoolResponse], pretty: Bool) -> JSONWriter {
        var json = JSONWriter(pretty: pretty, reserve: 256)
        json.beginArray()
        for pool in pools {
            json.beginObject()
            json.field("WAN", pool.wan)
            json.field("Datacenter", pool.datacenter)
            json.field("Segment", pool.segment)
            if !pool.messages.isEmpty { stringMap(&json, "Messages", pool.messages) }
            countMap(&json, "Keys", pool.keys)
            countMap(&json, "PrimaryKeys", pool.primaryKeys)
            json.field("NumNodes", pool.numNodes)
            if !pool.error.isEmpty { json.field("Error", pool.error) }
            json.endObject()
        }
        json.endArray()
        return json
    }

    private static func countMap(_ json: inout JSONWriter, _ name: String, _ map: [String: Int]) {
        json.key(name)
        json.beginObject()
        for (key, count) in map.sorted(by: { $0.key < $1.key }) { json.field(key, count) }
        json.endObject()
    }

    private static func stringMap(_ json: inout JSONWriter, _ name: String, _ map: [String: String]) {
        json.key(name)
        json.beginObject()
        for (key, value) in map.sorted(by: { $0.key < $1.key }) { json.field(key, value) }
        json.endObject()
    }

    /// Consul's keyringErrorsOrNil, formatted as go-multierror lists.
    static func errorText(_ pools: [KeyringPoolResponse]) -> String? {
        var errors: [String] = []
        for pool in pools where !pool.error.isEmpty {
            var name = pool.wan ? "WAN" : pool.datacenter + " (LAN)"
            if !pool.segment.isEmpty { name += " [segment: \(pool.segment)]" }
            errors.append("\(name) error: \(pool.error)")
            for (node, message) in pool.messages.sorted(by: { $0.key < $1.key }) { errors.append("\(node): \(message)") }
        }
        guard !errors.isEmpty else { return nil }
        let head = errors.count == 1 ? "1 error occurred:" : "\(errors.count) errors occurred:"
        return head + "\n\t* " + errors.joined(separator: "\n\t* ") + "\n\n"
    }

    /// Go's strconv.ParseBool.
    private func parseGoBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}
