import Platform
import Wire

/// Which keyring query (gossip-wire.md §9.6): the serf names travel on the wire.
public enum KeyringOperation: String, Sendable, CaseIterable {
    case install = "_serf_install-key"
    case use = "_serf_use-key"
    case remove = "_serf_remove-key"
    case list = "_serf_list-keys"
}

/// What one keyring query gathered from the pool, aggregated as serf's KeyManager does.
public struct KeyringQueryResult: Equatable, Sendable {
    /// Live members when the query started; the query ends early once all have answered.
    public var numNodes: Int
    public var numResponses = 0
    public var numErrors = 0
    /// Node → message (errors, and notes such as truncation).
    public var messages: [String: String] = [:]
    /// base64 key → how many nodes have it installed (list only).
    public var keys: [String: Int] = [:]
    /// base64 key → how many nodes use it as primary (list only).
    public var primaryKeys: [String: Int] = [:]

    public init(numNodes: Int) { self.numNodes = numNodes }

    /// serf's verdict: failures, or missing answers, make the operation an error.
    public var error: String? {
        if numErrors != 0 { return "\(numErrors)/\(numNodes) nodes reported failure" }
        if numResponses != numNodes { return "\(numResponses)/\(numNodes) nodes reported success" }
        return nil
    }
}

/// A query we originated, collecting responses until its deadline.
struct PendingQuery {
    var ltime: UInt64
    var id: UInt32
    var deadline: Instant
    var result: KeyringQueryResult
    var responders: Set<String> = []
}

/// Keyring queries: answering them for other members (serf internal_query.go), originating them
/// for the operator (serf keymanager.go), and the keyring they change.
extension Serf {
    /// serf's response size limit for list-keys (a UDP-sized user message).
    static let keyResponseBytesMax = 1024
    /// serf's QueryTimeoutMult.
    static let queryTimeoutMult: UInt64 = 16

    /// Broadcasts a keyring query to every member (ourselves included) and returns a handle;
    /// the outcome appears in `takeFinishedKeyringQueries()` when all live members answered or
    /// the query timeout passed.
    public func keyringQuery(_ operation: KeyringOperation, key: [UInt8], now: Instant) -> UInt64 {
        var payload: [UInt8] = []
        if operation != .list {
            var w = MsgPackWriter()
            w.bytes.append(SerfCodec.MessageType.keyRequest.rawValue)
            w.writeMapHeader(1)
            w.writeString("Key"); w.writeRaw(key)
            payload = w.bytes
        }
        let numNodes = memberlist.nodes.values.filter { !$0.isDeadOrLeft }.count
        let timeout = defaultQueryTimeoutNanos(members: numNodes)
        let query = QueryMessage(ltime: queryClock.time, id: UInt32(truncatingIfNeeded: random.nextUInt64() & 0x7FFF_FFFF),
                                 addr: memberlist.config.advertiseAddr, port: memberlist.config.advertisePort,
                                 sourceNode: localName, filters: [], flags: 0, relayFactor: 0,
                                 timeout: Int64(clamping: timeout), name: operation.rawValue, payload: payload)
        queryClock.increment()
        nextQueryHandle += 1
        let handle = nextQueryHandle
        pendingQueries[handle] = PendingQuery(ltime: query.ltime, id: query.id, deadline: now.adding(nanoseconds: timeout),
                                              result: KeyringQueryResult(numNodes: numNodes))
        // Answered locally like any other member's query, and re-broadcast from the ring.
        handleQuery(query, raw: SerfCodec.encode(.query(query)))
        return handle
    }

    public func takeFinishedKeyringQueries() -> [(handle: UInt64, result: KeyringQueryResult)] {
        defer { finishedQueries.removeAll() }
        return finishedQueries
    }

    /// The keyring after a query changed it, once, so the driver can persist it.
    public func takeKeyringChange() -> Keyring? {
        defer { keyringChanged = false }
        return keyringChanged ? keyring : nil
    }

    /// serf's DefaultQueryTimeout: gossip interval × 16 × ceil(log10(n + 1)).
    func defaultQueryTimeoutNanos(members: Int) -> UInt64 {
        var scale: UInt64 = 0
        var power = 1
        while power < members + 1 { power *= 10; scale += 1 }
        return memberlist.config.gossipIntervalNanos * Self.queryTimeoutMult * max(scale, 1)
    }

    var nextQueryDeadline: Instant? { pendingQueries.values.map(\.deadline).min() }

    func expireQueries(now: Instant) {
        for (handle, query) in pendingQueries where now >= query.deadline { finishQuery(handle) }
    }

    func finishQuery(_ handle: UInt64) {
        guard let query = pendingQueries.removeValue(forKey: handle) else { return }
        finishedQueries.append((handle, query.result))
    }

    // MARK: Answering

    /// serf's internal query handlers; true when `query` was one of them (it is then not an
    /// application query).
    func answerInternalQuery(_ query: QueryMessage, origin: SocketAddress) -> Bool {
        guard let operation = KeyringOperation(rawValue: query.name) else { return query.name.hasPrefix("_serf_") }
        let response = keyResponse(operation, payload: query.payload)
        let message = QueryResponseMessage(ltime: query.ltime, id: query.id, from: localName, flags: 0, payload: response)
        if query.sourceNode == localName, collectResponse(message) { return true }
        memberlist.sendUser(SerfCodec.encode(.queryResponse(message)), to: origin)
        return true
    }

    /// `[8]{Keys, Message, PrimaryKey, Result}`.
    func keyResponse(_ operation: KeyringOperation, payload: [UInt8]) -> [UInt8] {
        var result = false
        var message = ""
        var keys: [String]? = nil
        var primary = ""
        if keyring == nil {
            message = operation == .list ? "Keyring is empty (encryption not enabled)" : "No keyring to modify (encryption not enabled)"
        } else if operation == .list {
            keys = keyring!.keys.map(Base64.encode)
            primary = Base64.encode(keyring!.primaryKey)
            result = true
        } else if let key = try? decodeKeyRequest(payload) {
            do {
                switch operation {
                case .install: try keyring!.install(key)
                case .use: try keyring!.use(key)
                case .remove: try keyring!.remove(key)
                case .list: break
                }
                keyringChanged = true
                result = true
            } catch {
                message = error.description
            }
        } else {
            message = "Failed to decode key request"
        }
        var encoded = encodeKeyResponse(keys: keys, message: message, primary: primary, result: result)
        if var listed = keys, encoded.count > Self.keyResponseBytesMax {
            // serf truncates the list rather than fail to answer.
            let total = listed.count
            while encoded.count > Self.keyResponseBytesMax && !listed.isEmpty {
                listed.removeLast()
                encoded = encodeKeyResponse(keys: listed, message: "Truncated key list response, showing first \(listed.count) of \(total) keys",
                                            primary: primary, result: result)
            }
        }
        return encoded
    }

    func decodeKeyRequest(_ payload: [UInt8]) throws(GossipCodecError) -> [UInt8] {
        guard payload.first == SerfCodec.MessageType.keyRequest.rawValue else { throw .malformed("not a key request") }
        var reader = MsgPackReader(payload, from: 1)
        return try MsgPackStruct(try reader.readValue(), what: "key request").bytes("Key")
    }

    func encodeKeyResponse(keys: [String]?, message: String, primary: String, result: Bool) -> [UInt8] {
        var w = MsgPackWriter()
        w.bytes.append(SerfCodec.MessageType.keyResponse.rawValue)
        w.writeMapHeader(4)
        w.writeString("Keys")
        if let keys {
            w.writeArrayHeader(keys.count)
            for key in keys { w.writeString(key) }
        } else {
            w.writeNil()
        }
        w.writeString("Message"); w.writeString(message)
        w.writeString("PrimaryKey"); w.writeString(primary)
        w.writeString("Result"); w.writeBool(result)
        return w.bytes
    }

    // MARK: Collecting

    /// A response to one of our queries; false when it is not ours (or no longer pending).
    @discardableResult
    func collectResponse(_ response: QueryResponseMessage) -> Bool {
        guard let handle = pendingQueries.first(where: { $0.value.id == response.id && $0.value.ltime == response.ltime })?.key else {
            return false
        }
        if response.flags & 1 != 0 { return true }  // acks carry nothing for keyring queries
        guard pendingQueries[handle]!.responders.insert(response.from).inserted else { return true }
        var result = pendingQueries[handle]!.result
        result.numResponses += 1
        let payload = response.payload
        if payload.first != SerfCodec.MessageType.keyResponse.rawValue {
            result.messages[response.from] = "Invalid key query response type: \(payload)"
            result.numErrors += 1
        } else if let fields = try? decodeKeyResponse(payload) {
            if !fields.result { result.numErrors += 1 }
            if !fields.message.isEmpty { result.messages[response.from] = fields.message }
            for key in fields.keys { result.keys[key, default: 0] += 1 }
            if !fields.primary.isEmpty { result.primaryKeys[fields.primary, default: 0] += 1 }
        } else {
            result.messages[response.from] = "Failed to decode key query response: \(payload)"
            result.numErrors += 1
        }
        pendingQueries[handle]!.result = result
        if result.numResponses >= result.numNodes { finishQuery(handle) }
        return true
    }

    func decodeKeyResponse(_ payload: [UInt8]) throws(GossipCodecError) -> (result: Bool, message: String, keys: [String], primary: String) {
        var reader = MsgPackReader(payload, from: 1)
        let f = try MsgPackStruct(try reader.readValue(), what: "key response")
        var keys: [String] = []
        for (i, item) in try f.array("Keys").enumerated() { keys.append(try item.asString(field: "key response.Keys[\(i)]")) }
        return (try f.bool("Result"), try f.string("Message"), keys, try f.string("PrimaryKey"))
    }
}
