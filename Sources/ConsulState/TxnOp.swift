import Wire
import ConsulAPI

/// One operation of a `/v1/txn` request (http-api.md §3). Verbs stay strings so an unknown one
/// is reported by the state machine with Consul's text, like any other failing operation.
public enum TxnOp: Equatable, Sendable {
    case kv(verb: String, key: String, value: [UInt8], flags: UInt64, index: UInt64, session: String)
    case node(verb: String, node: CatalogNode)
    case service(verb: String, node: String, service: NodeService)
    case check(verb: String, check: HealthCheck)

    /// Verbs that only read; a transaction made only of them is served without a Raft write.
    static let readVerbs: Set<String> = ["get", "get-tree", "check-index", "check-session", "check-not-exists"]

    public var isRead: Bool {
        switch self {
        case .kv(let verb, _, _, _, _, _): return TxnOp.readVerbs.contains(verb)
        case .node(let verb, _), .service(let verb, _, _), .check(let verb, _): return verb == "get"
        }
    }
}

extension TxnOp {
    private enum Code: UInt8 { case kv = 1, node = 2, service = 3, check = 4 }

    func encode(into w: inout ByteWriter) {
        switch self {
        case let .kv(verb, key, value, flags, index, session):
            w.u8(Code.kv.rawValue); w.string(verb); w.string(key); w.blob(value); w.u64(flags); w.u64(index); w.string(session)
        case let .node(verb, node):
            w.u8(Code.node.rawValue); w.string(verb); w.u64(node.modifyIndex)
            w.blob(TxnOp.carrier(node: node).encodedJSON())
        case let .service(verb, node, service):
            w.u8(Code.service.rawValue); w.string(verb); w.u64(service.modifyIndex)
            w.blob(TxnOp.carrier(nodeName: node, service: service).encodedJSON())
        case let .check(verb, check):
            w.u8(Code.check.rawValue); w.string(verb); w.u64(check.modifyIndex)
            w.blob(TxnOp.carrier(nodeName: check.node, check: check).encodedJSON())
        }
    }

    /// Catalog operands travel in the Raft log as registration JSON (one format to keep stable).
    private static func carrier(node: CatalogNode? = nil, nodeName: String = "", service: NodeService? = nil,
                                check: HealthCheck? = nil) -> RegisterRequest {
        var r = RegisterRequest()
        if let node { r.node = node } else { r.node.node = nodeName }
        r.service = service
        if let check { r.checks = [check] }
        return r
    }

    static func decode(from r: inout StateReader) throws(DecodeError) -> TxnOp {
        guard let code = Code(rawValue: try r.u8()) else { throw DecodeError("unknown txn op type") }
        if code == .kv {
            return .kv(verb: try r.string(), key: try r.string(), value: try r.blob(), flags: try r.u64(),
                       index: try r.u64(), session: try r.string())
        }
        let verb = try r.string()
        let modifyIndex = try r.u64()
        let request: RegisterRequest
        do { request = try RegisterRequest.decode(try JSONParser.parse(try r.blob())) } catch {
            throw DecodeError("txn op: \(error)")
        }
        switch code {
        case .node:
            var node = request.node
            node.modifyIndex = modifyIndex
            return .node(verb: verb, node: node)
        case .service:
            guard var service = request.service else { throw DecodeError("txn service op without a service") }
            service.modifyIndex = modifyIndex
            return .service(verb: verb, node: request.node.node, service: service)
        default:
            guard var check = request.checks.first else { throw DecodeError("txn check op without a check") }
            check.modifyIndex = modifyIndex
            return .check(verb: verb, check: check)
        }
    }
}
