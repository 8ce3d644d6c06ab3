import Wire
import ConsulAPI

/// Commands as bytes in the Raft log: a type code (append-only, never reused), then fields.
/// Integers are little-endian fixed width; strings and blobs are u32-length-prefixed.
extension Command {
    enum Code: UInt8 {
        case kvSet = 1, kvCAS = 2, kvDelete = 3, kvDeleteCAS = 4, kvDeleteTree = 5
        case catalogRegister = 6, catalogDeregister = 7
        case sessionCreate = 8, sessionDestroy = 9, sessionRenew = 10, kvLock = 11, kvUnlock = 12, txn = 13
        case querySet = 14, queryDelete = 15, autopilotSet = 16, coordinateBatchUpdate = 17, restoreState = 18
    }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .kvSet(key, value, flags):
            w.u8(Code.kvSet.rawValue); w.string(key); w.blob(value); w.u64(flags)
        case let .kvCAS(key, value, flags, index):
            w.u8(Code.kvCAS.rawValue); w.string(key); w.blob(value); w.u64(flags); w.u64(index)
        case let .kvDelete(key):
            w.u8(Code.kvDelete.rawValue); w.string(key)
        case let .kvDeleteCAS(key, index):
            w.u8(Code.kvDeleteCAS.rawValue); w.string(key); w.u64(index)
        case let .kvDeleteTree(prefix):
            w.u8(Code.kvDeleteTree.rawValue); w.string(prefix)
        case let .catalogRegister(request):
            w.u8(Code.catalogRegister.rawValue); w.blob(request.encodedJSON())
        case let .catalogDeregister(request):
            w.u8(Code.catalogDeregister.rawValue); w.string(request.node); w.string(request.serviceID); w.string(request.checkID)
        case let .sessionCreate(session):
            w.u8(Code.sessionCreate.rawValue); session.encode(into: &w)
        case let .sessionDestroy(id):
            w.u8(Code.sessionDestroy.rawValue); w.string(id)
        case let .sessionRenew(id):
            w.u8(Code.sessionRenew.rawValue); w.string(id)
        case let .kvLock(key, value, flags, session):
            w.u8(Code.kvLock.rawValue); w.string(key); w.blob(value); w.u64(flags); w.string(session)
        case let .kvUnlock(key, value, flags, session):
            w.u8(Code.kvUnlock.rawValue); w.string(key); w.blob(value); w.u64(flags); w.string(session)
        case let .txn(ops):
            w.u8(Code.txn.rawValue); w.u32(UInt32(ops.count))
            for op in ops { op.encode(into: &w) }
        case let .querySet(query, create):
            w.u8(Code.querySet.rawValue); w.u8(create ? 1 : 0); w.blob(query.encodedJSON())
        case let .queryDelete(id):
            w.u8(Code.queryDelete.rawValue); w.string(id)
        case let .autopilotSet(json, cas):
            w.u8(Code.autopilotSet.rawValue); w.blob(json); w.u8(cas == nil ? 0 : 1); w.u64(cas ?? 0)
        case let .coordinateBatchUpdate(updates):
            w.u8(Code.coordinateBatchUpdate.rawValue); w.u32(UInt32(updates.count))
            for u in updates { u.encode(into: &w) }
        case let .restoreState(compressed, size):
            w.u8(Code.restoreState.rawValue); w.u64(size); w.blob(compressed)
        }
        return w.bytes
    }

    public init(encoded bytes: [UInt8]) throws(DecodeError) {
        var r = StateReader(bytes)
        guard let code = Code(rawValue: try r.u8()) else { throw DecodeError("unknown command type \(bytes.first ?? 0)") }
        switch code {
        case .kvSet: self = .kvSet(key: try r.string(), value: try r.blob(), flags: try r.u64())
        case .kvCAS: self = .kvCAS(key: try r.string(), value: try r.blob(), flags: try r.u64(), index: try r.u64())
        case .kvDelete: self = .kvDelete(key: try r.string())
        case .kvDeleteCAS: self = .kvDeleteCAS(key: try r.string(), index: try r.u64())
        case .kvDeleteTree: self = .kvDeleteTree(prefix: try r.string())
        case .catalogRegister:
            let bytes = try r.blob()
            do { self = .catalogRegister(try RegisterRequest.decode(try JSONParser.parse(bytes))) } catch {
                throw DecodeError("catalog register: \(error)")
            }
        case .catalogDeregister:
            self = .catalogDeregister(DeregisterRequest(node: try r.string(), serviceID: try r.string(), checkID: try r.string()))
        case .sessionCreate: self = .sessionCreate(try Session.decode(from: &r))
        case .sessionDestroy: self = .sessionDestroy(id: try r.string())
        case .sessionRenew: self = .sessionRenew(id: try r.string())
        case .kvLock: self = .kvLock(key: try r.string(), value: try r.blob(), flags: try r.u64(), session: try r.string())
        case .kvUnlock: self = .kvUnlock(key: try r.string(), value: try r.blob(), flags: try r.u64(), session: try r.string())
        case .txn:
            let count = Int(try r.u32())
            guard count <= 4096 else { throw DecodeError("txn with \(count) operations") }
            var ops: [TxnOp] = []
            for _ in 0..<count { ops.append(try TxnOp.decode(from: &r)) }
            self = .txn(ops)
        case .querySet:
            let create = try r.u8() == 1
            self = .querySet(try PreparedQuery.decode(encodedJSON: try r.blob()), create: create)
        case .queryDelete: self = .queryDelete(id: try r.string())
        case .autopilotSet:
            let json = try r.blob()
            let hasCAS = try r.u8() == 1
            let cas = try r.u64()
            self = .autopilotSet(json: json, cas: hasCAS ? cas : nil)
        case .coordinateBatchUpdate:
            let count = try r.u32()
            var updates: [NodeCoordinate] = []
            for _ in 0..<count { updates.append(try NodeCoordinate.decode(from: &r)) }
            self = .coordinateBatchUpdate(updates)
        case .restoreState:
            let size = try r.u64()
            self = .restoreState(compressed: try r.blob(), size: size)
        }
        guard r.isAtEnd else { throw DecodeError("trailing bytes after command") }
    }
}

public struct DecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension DecodeError: ByteDecodeFailure {
    public static func truncated(field: String, needed: Int, remaining: Int) -> DecodeError {
        DecodeError("truncated \(field): needs \(needed) bytes, \(remaining) remain")
    }
    public static func badBool(field: String, value: UInt8) -> DecodeError { DecodeError("\(field) is \(value), want 0 or 1") }
    public static func invalidUTF8(field: String) -> DecodeError { DecodeError("\(field) is not valid UTF-8") }
    public static func trailingBytes(field: String, count: Int) -> DecodeError { DecodeError("\(count) unexpected bytes after \(field)") }
}

/// The state codecs (Raft commands and snapshots) are little endian: that is how they are on disk.
typealias StateReader = ByteReader<DecodeError>

extension ByteReader where Failure == DecodeError {
    init(_ bytes: [UInt8]) { self.init(bytes, order: .littleEndian) }
}

extension ByteWriter {
    init() { self.init(order: .littleEndian) }
}
