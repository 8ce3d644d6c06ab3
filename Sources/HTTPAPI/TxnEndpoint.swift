import ConsulAPI
import ConsulState
import HTTP1
import Platform
import Wire

/// `PUT /v1/txn` (http-api.md §3): up to 128 KV/Node/Service/Check operations, all or nothing.
/// Reads-only transactions are answered from the read path without a Raft write.
final class TxnEndpoint {
    private unowned let api: ConsulHTTPAPI
    static let maxOperations = 128

    init(api: ConsulHTTPAPI) { self.api = api }

    static let maxRequestDocs = "https://developer.hashicorp.com/docs/agent/config/config-files#txn_max_req_len"

    func handle(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        let maxSize = api.config.kvMaxValueSize
        let maxRequest = api.config.txnMaxRequestBytes
        if request.body.count > maxRequest {
            return responder.respond(.text(413, "Request body(\(request.body.count) bytes) too large, max size: \(maxRequest) bytes. See \(TxnEndpoint.maxRequestDocs)."))
        }
        let ops: [TxnOp]
        do {
            ops = try TxnEndpoint.decode(request.body, datacenter: api.agent.datacenter, maxValueSize: maxSize)
        } catch {
            return responder.respond(.text(error.status, error.reason))
        }
        if ops.allSatisfy(\.isRead) {
            api.read(options, responder) { store, meta in
                guard case .json(let ok, let body) = store.readTxn(ops) else {
                    return QueryResult(response: .text(500, "unexpected txn result"), index: 0, watched: [])
                }
                var response = HTTPResponse.jsonDocument(body, status: ok ? 200 : 409, pretty: options.pretty)
                response.headers.add("X-Consul-Knownleader", meta.knownLeader ? "true" : "false")
                response.headers.add("X-Consul-Lastcontact", String(meta.lastContactMilliseconds))
                return QueryResult(response: response, index: 0, watched: [])
            }
            return
        }
        api.write(.txn(ops), options: options, responder)
    }

    /// The body as operations, or the status and text Consul answers a bad body with.
    static func decode(_ body: [UInt8], datacenter: String, maxValueSize: Int) throws(HTTPResponseError) -> [TxnOp] {
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(body) } catch { throw HTTPResponseError(400, "Failed to parse body: \(error)") }
        guard let items = parsed.arrayValue else {
            throw HTTPResponseError(400, "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps")
        }
        if items.count > maxOperations {
            throw HTTPResponseError(413, "Transaction contains too many operations (\(items.count) > \(maxOperations))")
        }
        var ops: [TxnOp] = []
        ops.reserveCapacity(items.count)
        for item in items {
            do { ops.append(try decodeOp(item, datacenter: datacenter, maxValueSize: maxValueSize)) } catch let e as HTTPResponseError {
                throw e
            } catch {
                throw HTTPResponseError(400, "Failed to parse body: \(error)")
            }
        }
        return ops
    }

    private static func decodeOp(_ item: JSONValue, datacenter: String, maxValueSize: Int) throws -> TxnOp {
        let f = JSONFields(item)
        if let kv = f.object("KV") {
            let key = try kv.string("Key") ?? ""
            var value: [UInt8] = []
            if let text = try kv.string("Value") {
                guard let decoded = Base64.decode(text) else { throw DecodeFailure("illegal base64 data in Value of key \(goQuoted(key))") }
                value = decoded
            }
            if value.count > maxValueSize {
                throw HTTPResponseError(413, "Value for key \(goQuoted(key)) is too large (\(value.count) > \(maxValueSize) bytes)")
            }
            return .kv(verb: try kv.string("Verb") ?? "", key: key, value: value, flags: try uint(kv, "Flags"),
                       index: try uint(kv, "Index"), session: try kv.string("Session") ?? "")
        }
        if let op = f.object("Node") {
            let verb = try op.string("Verb") ?? ""
            guard let n = op.object("Node") else { throw DecodeFailure("Node operation without a Node") }
            var node = CatalogNode()
            node.id = try n.string("ID") ?? ""
            node.node = try n.string("Node") ?? ""
            node.address = try n.string("Address") ?? ""
            node.datacenter = try n.string("Datacenter") ?? ""
            if node.datacenter.isEmpty { node.datacenter = datacenter }
            node.taggedAddresses = try n.stringMap("TaggedAddresses") ?? [:]
            node.meta = try n.stringMap("Meta", "NodeMeta") ?? [:]
            node.modifyIndex = try uint(n, "ModifyIndex")
            return .node(verb: verb, node: node)
        }
        if let op = f.object("Service") {
            guard let s = op.object("Service") else { throw DecodeFailure("Service operation without a Service") }
            var service = try NodeService.decode(s)
            service.modifyIndex = try uint(s, "ModifyIndex")
            return .service(verb: try op.string("Verb") ?? "", node: try op.string("Node") ?? "", service: service)
        }
        if let op = f.object("Check") {
            guard let c = op.object("Check") else { throw DecodeFailure("Check operation without a Check") }
            var check = try HealthCheck.decode(c)
            check.modifyIndex = try uint(c, "ModifyIndex")
            return .check(verb: try op.string("Verb") ?? "", check: check)
        }
        throw DecodeFailure("operation without KV, Node, Service or Check")
    }

    private static func uint(_ f: JSONFields, _ name: String) throws -> UInt64 {
        guard let raw = f.raw(name) else { return 0 }
        guard let v = raw.uint64Value else { throw DecodeFailure("json: cannot unmarshal into field \(name) of type uint64") }
        return v
    }
}
