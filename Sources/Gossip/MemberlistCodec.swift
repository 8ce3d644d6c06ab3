import Wire

/// memberlist 0.2.2's bytes (../shared/reference/gossip-wire.md §1–§5, §7): message bodies, the
/// UDP wrappers (compound, compress, CRC) and the TCP stream form. Encryption is layered outside.

public enum GossipCodecError: Error, Equatable, Sendable {
    /// The bytes end before the message does (on a stream: wait for more).
    case truncated
    case malformed(String)
    case unknownType(UInt8)
    case badChecksum
    case unsupported(String)
}

public enum MemberlistCodec {
    /// memberlist's message type bytes (§2).
    enum MessageType: UInt8 {
        case ping = 0, indirectPing = 1, ack = 2, suspect = 3, alive = 4, dead = 5, pushPull = 6
        case compound = 7, user = 8, compress = 9, encrypt = 10, nack = 11, hasCRC = 12, err = 13
    }

    /// More records than any real cluster sends; a larger declared count is hostile.
    static let pushPullNodesMax = 1 << 16
    /// memberlist's maxPushStateBytes: also the bound for a TCP user message.
    static let streamTailBytesMax = 20 << 20
    /// Compound and compress may nest; Go does not bound it, we do.
    static let wrapperNestingMax = 8
    /// The compress wrapper's only algorithm.
    static let lzwAlgorithm: UInt64 = 0

    // MARK: Encoding

    public static func encode(_ message: MemberlistMessage) -> [UInt8] {
        var w = MsgPackWriter()
        switch message {
        case .ping(let p):
            w.bytes.append(MessageType.ping.rawValue)
            let sourceAddr = p.sourceAddr.flatMap { $0.isEmpty ? nil : $0 }
            let sourceNode = p.sourceNode.flatMap { $0.isEmpty ? nil : $0 }
            let sourcePort = p.sourcePort.flatMap { $0 == 0 ? nil : $0 }
            w.writeMapHeader(2 + (sourceAddr == nil ? 0 : 1) + (sourceNode == nil ? 0 : 1) + (sourcePort == nil ? 0 : 1))
            w.writeString("Node"); w.writeString(p.node)
            w.writeString("SeqNo"); w.writeUInt(UInt64(p.seqNo))
            writeSource(&w, addr: sourceAddr, node: sourceNode, port: sourcePort)
        case .indirectPing(let p):
            w.bytes.append(MessageType.indirectPing.rawValue)
            let sourceAddr = p.sourceAddr.flatMap { $0.isEmpty ? nil : $0 }
            let sourceNode = p.sourceNode.flatMap { $0.isEmpty ? nil : $0 }
            let sourcePort = p.sourcePort.flatMap { $0 == 0 ? nil : $0 }
            w.writeMapHeader(5 + (sourceAddr == nil ? 0 : 1) + (sourceNode == nil ? 0 : 1) + (sourcePort == nil ? 0 : 1))
            w.writeString("Nack"); w.writeBool(p.nack)
            w.writeString("Node"); w.writeString(p.node)
            w.writeString("Port"); w.writeUInt(UInt64(p.port))
            w.writeString("SeqNo"); w.writeUInt(UInt64(p.seqNo))
            writeSource(&w, addr: sourceAddr, node: sourceNode, port: sourcePort)
            w.writeString("Target"); w.writeRaw(p.target)
        case .ack(let a):
            w.bytes.append(MessageType.ack.rawValue)
            w.writeMapHeader(2)
            w.writeString("Payload"); w.writeOptionalRaw(a.payload)
            w.writeString("SeqNo"); w.writeUInt(UInt64(a.seqNo))
        case .nack(let n):
            w.bytes.append(MessageType.nack.rawValue)
            w.writeMapHeader(1)
            w.writeString("SeqNo"); w.writeUInt(UInt64(n.seqNo))
        case .suspect(let s):
            w.bytes.append(MessageType.suspect.rawValue)
            writeAccusation(&w, from: s.from, incarnation: s.incarnation, node: s.node)
        case .dead(let d):
            w.bytes.append(MessageType.dead.rawValue)
            writeAccusation(&w, from: d.from, incarnation: d.incarnation, node: d.node)
        case .alive(let a):
            w.bytes.append(MessageType.alive.rawValue)
            w.writeMapHeader(6)
            w.writeString("Addr"); w.writeRaw(a.addr)
            w.writeString("Incarnation"); w.writeUInt(UInt64(a.incarnation))
            w.writeString("Meta"); w.writeOptionalRaw(a.meta)
            w.writeString("Node"); w.writeString(a.node)
            w.writeString("Port"); w.writeUInt(UInt64(a.port))
            w.writeString("Vsn"); w.writeRaw(a.vsn)
        case .user(let payload):
            w.bytes.reserveCapacity(1 + payload.count)
            w.bytes.append(MessageType.user.rawValue)
            w.bytes.append(contentsOf: payload)
        case .pushPull(let p):
            w.bytes.reserveCapacity(32 + p.nodes.count * 96 + p.userState.count)
            w.bytes.append(MessageType.pushPull.rawValue)
            w.writeMapHeader(3)
            w.writeString("Join"); w.writeBool(p.join)
            w.writeString("Nodes"); w.writeUInt(UInt64(p.nodes.count))
            w.writeString("UserStateLen"); w.writeUInt(UInt64(p.userState.count))
            for n in p.nodes {
                w.writeMapHeader(7)
                w.writeString("Addr"); w.writeRaw(n.addr)
                w.writeString("Incarnation"); w.writeUInt(UInt64(n.incarnation))
                w.writeString("Meta"); w.writeOptionalRaw(n.meta)
                w.writeString("Name"); w.writeString(n.name)
                w.writeString("Port"); w.writeUInt(UInt64(n.port))
                w.writeString("State"); w.writeInt(Int64(n.state.rawValue))
                w.writeString("Vsn"); w.writeRaw(n.vsn)
            }
            w.bytes.append(contentsOf: p.userState)
        case .err(let text):
            w.bytes.append(MessageType.err.rawValue)
            w.writeMapHeader(1)
            w.writeString("Error"); w.writeString(text)
        }
        return w.bytes
    }

    /// SourceAddr, SourceNode, SourcePort: each omitted when empty (Go's omitempty).
    private static func writeSource(_ w: inout MsgPackWriter, addr: [UInt8]?, node: String?, port: UInt16?) {
        if let addr { w.writeString("SourceAddr"); w.writeRaw(addr) }
        if let node { w.writeString("SourceNode"); w.writeString(node) }
        if let port { w.writeString("SourcePort"); w.writeUInt(UInt64(port)) }
    }

    private static func writeAccusation(_ w: inout MsgPackWriter, from: String, incarnation: UInt32, node: String) {
        w.writeMapHeader(3)
        w.writeString("From"); w.writeString(from)
        w.writeString("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeString("Node"); w.writeString(node)
    }

    /// `[7][n][len BE u16]×n` then the parts. Splitting into ≤ 127 parts (§3.1) is the caller's job.
    public static func compound(_ parts: [[UInt8]]) -> [UInt8] {
        precondition((1...255).contains(parts.count), "a compound holds 1...255 parts, not \(parts.count)")
        var out: [UInt8] = [MessageType.compound.rawValue, UInt8(parts.count)]
        out.reserveCapacity(2 + 2 * parts.count + parts.reduce(0) { $0 + $1.count })
        for part in parts {
            precondition(part.count <= 0xFFFF, "compound part of \(part.count) bytes")
            out.append(UInt8(part.count >> 8))
            out.append(UInt8(part.count & 0xFF))
        }
        for part in parts { out.append(contentsOf: part) }
        return out
    }

    /// `[9]{Algo: 0, Buf: LZW(payload)}`.
    static func compressWrapper(_ payload: [UInt8]) -> [UInt8] {
        let compressed = LZW.compress(payload)
        var w = MsgPackWriter(reservingCapacity: compressed.count + 16)
        w.bytes.append(MessageType.compress.rawValue)
        w.writeMapHeader(2)
        w.writeString("Algo"); w.writeUInt(lzwAlgorithm)
        w.writeString("Buf"); w.writeRaw(compressed)
        return w.bytes
    }

    public static func wrapPacket(_ payload: [UInt8], compress: Bool, crc: Bool) -> [UInt8] {
        var packet = payload
        if compress {
            let compressed = compressWrapper(payload)
            if compressed.count < packet.count { packet = compressed }
        }
        guard crc else { return packet }
        let sum = CRC32IEEE.checksum(packet)
        var out: [UInt8] = [MessageType.hasCRC.rawValue,
                            UInt8(sum >> 24), UInt8(sum >> 16 & 0xFF), UInt8(sum >> 8 & 0xFF), UInt8(sum & 0xFF)]
        out.reserveCapacity(5 + packet.count)
        out.append(contentsOf: packet)
        return out
    }

    public static func encodeStream(_ message: MemberlistMessage, compress: Bool) -> [UInt8] {
        let plain: [UInt8]
        if case .user(let payload) = message {
            // §7.6: on TCP the user payload's length travels in a header map.
            var w = MsgPackWriter(reservingCapacity: 20 + payload.count)
            w.bytes.append(MessageType.user.rawValue)
            w.writeMapHeader(1)
            w.writeString("UserMsgLen"); w.writeUInt(UInt64(payload.count))
            w.bytes.append(contentsOf: payload)
            plain = w.bytes
        } else {
            plain = encode(message)
        }
        return compress ? compressWrapper(plain) : plain
    }

    // MARK: Decoding, UDP

    public static func decodePacket(_ bytes: [UInt8]) throws(GossipCodecError) -> [MemberlistMessage] {
        var payload = bytes
        if bytes.first == MessageType.hasCRC.rawValue {
            guard bytes.count >= 5 else { throw .truncated }
            let declared = UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4])
            guard CRC32IEEE.checksum(bytes[5...]) == declared else { throw .badChecksum }
            payload = Array(bytes[5...])
        }
        var messages: [MemberlistMessage] = []
        var firstPartError: GossipCodecError? = nil
        try decodePacketMessage(payload, depth: 0, into: &messages, firstPartError: &firstPartError)
        // Like Go, a bad compound part costs only itself; but a packet that yields nothing says why.
        if messages.isEmpty, let firstPartError { throw firstPartError }
        return messages
    }

    /// Dispatches one message that may be a compound or compress wrapper; parts of a compound are
    /// decoded independently (a failing part is dropped, its error kept in `firstPartError`).
    private static func decodePacketMessage(_ bytes: [UInt8], depth: Int, into messages: inout [MemberlistMessage],
                                            firstPartError: inout GossipCodecError?) throws(GossipCodecError) {
        guard let typeByte = bytes.first else { throw .truncated }
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        switch type {
        case .compound:
            guard depth < wrapperNestingMax else { throw .malformed("compound nested deeper than \(wrapperNestingMax)") }
            guard bytes.count >= 2 else { throw .truncated }
            let count = Int(bytes[1])
            let headerEnd = 2 + 2 * count
            guard bytes.count >= headerEnd else { throw .truncated }
            var offset = headerEnd
            for i in 0..<count {
                let length = Int(bytes[2 + 2 * i]) << 8 | Int(bytes[3 + 2 * i])
                // A part the buffer cannot hold ends the compound; earlier parts stand.
                guard bytes.count - offset >= length else {
                    if firstPartError == nil { firstPartError = .truncated }
                    break
                }
                let part = Array(bytes[offset..<offset + length])
                offset += length
                do throws(GossipCodecError) {
                    try decodePacketMessage(part, depth: depth + 1, into: &messages, firstPartError: &firstPartError)
                } catch {
                    if firstPartError == nil { firstPartError = error }
                }
            }
        case .compress:
            guard depth < wrapperNestingMax else { throw .malformed("compress nested deeper than \(wrapperNestingMax)") }
            var reader = MsgPackReader(bytes, from: 1)
            let decompressed = try readCompressed(&reader)
            try decodePacketMessage(decompressed, depth: depth + 1, into: &messages, firstPartError: &firstPartError)
        case .user:
            messages.append(.user(Array(bytes[1...])))
        case .pushPull:
            throw .unsupported("push/pull over UDP")
        case .err:
            throw .unsupported("err over UDP")
        case .encrypt:
            throw .unsupported("encrypted")
        case .hasCRC:
            throw .unsupported("CRC header inside a packet")
        case .ping, .indirectPing, .ack, .nack, .suspect, .alive, .dead:
            var reader = MsgPackReader(bytes, from: 1)
            messages.append(try decodeBody(type, try reader.readValue()))
        }
    }

    /// Reads the compress map `{Algo, Buf}` and returns the decompressed bytes.
    private static func readCompressed(_ reader: inout MsgPackReader) throws(GossipCodecError) -> [UInt8] {
        let fields = try MsgPackStruct(try reader.readValue(), what: "compress")
        let algo = try fields.uint64("Algo")
        guard algo == lzwAlgorithm else { throw .unsupported("compression algorithm \(algo)") }
        return try LZW.decompress(try fields.bytes("Buf"))
    }

    /// The body of a message whose type byte has been read.
    private static func decodeBody(_ type: MessageType, _ value: MsgPackValue) throws(GossipCodecError) -> MemberlistMessage {
        switch type {
        case .ping:
            let f = try MsgPackStruct(value, what: "ping")
            return .ping(Ping(seqNo: try f.uint("SeqNo"), node: try f.string("Node"),
                              sourceAddr: try nonEmpty(f.optionalBytes("SourceAddr")),
                              sourcePort: try nonZero(f.uint("SourcePort", as: UInt16.self)),
                              sourceNode: try nonEmpty(f.string("SourceNode"))))
        case .indirectPing:
            let f = try MsgPackStruct(value, what: "indirectPing")
            return .indirectPing(IndirectPing(
                seqNo: try f.uint("SeqNo"), target: try f.bytes("Target"), port: try f.uint("Port"),
                node: try f.string("Node"), nack: try f.bool("Nack"),
                sourceAddr: try nonEmpty(f.optionalBytes("SourceAddr")),
                sourcePort: try nonZero(f.uint("SourcePort", as: UInt16.self)),
                sourceNode: try nonEmpty(f.string("SourceNode"))))
        case .ack:
            let f = try MsgPackStruct(value, what: "ack")
            return .ack(Ack(seqNo: try f.uint("SeqNo"), payload: try f.optionalBytes("Payload")))
        case .nack:
            let f = try MsgPackStruct(value, what: "nack")
            return .nack(Nack(seqNo: try f.uint("SeqNo")))
        case .suspect:
            let f = try MsgPackStruct(value, what: "suspect")
            return .suspect(Suspect(incarnation: try f.uint("Incarnation"), node: try f.string("Node"), from: try f.string("From")))
        case .dead:
            let f = try MsgPackStruct(value, what: "dead")
            return .dead(Dead(incarnation: try f.uint("Incarnation"), node: try f.string("Node"), from: try f.string("From")))
        case .alive:
            let f = try MsgPackStruct(value, what: "alive")
            return .alive(Alive(incarnation: try f.uint("Incarnation"), node: try f.string("Node"), addr: try f.bytes("Addr"),
                                port: try f.uint("Port"), meta: try f.optionalBytes("Meta"), vsn: try f.bytes("Vsn")))
        case .err:
            let f = try MsgPackStruct(value, what: "err")
            return .err(try f.string("Error"))
        case .pushPull, .compound, .user, .compress, .encrypt, .hasCRC:
            preconditionFailure("decodeBody called for \(type), which has no plain msgpack body")
        }
    }

    /// omitempty fields: empty on the wire and absent are the same thing.
    private static func nonEmpty(_ bytes: [UInt8]?) -> [UInt8]? { bytes.flatMap { $0.isEmpty ? nil : $0 } }
    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
    private static func nonZero(_ port: UInt16) -> UInt16? { port == 0 ? nil : port }

    private static func decodeNodeState(_ value: MsgPackValue, index: Int) throws(GossipCodecError) -> PushNodeState {
        let f = try MsgPackStruct(value, what: "pushPull node \(index)")
        let stateNumber = try f.int64("State")
        guard let state = NodeStateKind(rawValue: Int(truncatingIfNeeded: stateNumber)), Int64(state.rawValue) == stateNumber else {
            throw .malformed("pushPull node \(index): unknown State \(stateNumber)")
        }
        return PushNodeState(name: try f.string("Name"), addr: try f.bytes("Addr"), port: try f.uint("Port"),
                             meta: try f.optionalBytes("Meta"), incarnation: try f.uint("Incarnation"), state: state,
                             vsn: try f.bytes("Vsn"))
    }

    // MARK: Decoding, TCP

    /// Callers bound how many bytes they buffer (a hostile peer can declare a long message and
    /// stall): `nil` only ever means "a valid prefix so far".
    public static func decodeStream(_ bytes: [UInt8]) throws(GossipCodecError) -> (message: MemberlistMessage, consumed: Int)? {
        guard let typeByte = bytes.first else { return nil }
        if typeByte == MessageType.compress.rawValue {
            var reader = MsgPackReader(bytes, from: 1)
            let decompressed: [UInt8]
            do throws(GossipCodecError) {
                decompressed = try readCompressed(&reader)
            } catch .truncated {
                return nil
            }
            // The decompressed bytes are the whole message: running short inside them is malformed.
            let inner: (message: MemberlistMessage, consumed: Int)?
            do throws(GossipCodecError) {
                inner = try decodePlainStream(decompressed)
            } catch .truncated {
                throw .malformed("compressed stream message is incomplete")
            }
            guard let inner else { throw .malformed("compressed stream message is empty") }
            return (inner.message, reader.position)
        }
        do throws(GossipCodecError) {
            return try decodePlainStream(bytes)
        } catch .truncated {
            return nil
        }
    }

    /// One uncompressed stream message; throws `.truncated` when the bytes stop early.
    private static func decodePlainStream(_ bytes: [UInt8]) throws(GossipCodecError) -> (message: MemberlistMessage, consumed: Int)? {
        guard let typeByte = bytes.first else { return nil }
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        var reader = MsgPackReader(bytes, from: 1)
        switch type {
        case .ping, .ack, .err:
            let message = try decodeBody(type, try reader.readValue())
            return (message, reader.position)
        case .pushPull:
            let header = try MsgPackStruct(try reader.readValue(), what: "pushPull header")
            let nodeCount = try header.uint64("Nodes")
            guard nodeCount <= UInt64(pushPullNodesMax) else { throw .malformed("pushPull declares \(nodeCount) nodes") }
            let userStateLength = try header.uint64("UserStateLen")
            guard userStateLength <= UInt64(streamTailBytesMax) else {
                throw .malformed("pushPull declares \(userStateLength) bytes of user state")
            }
            let join = try header.bool("Join")
            var nodes: [PushNodeState] = []
            nodes.reserveCapacity(min(Int(nodeCount), reader.remaining / 8))
            for i in 0..<Int(nodeCount) {
                nodes.append(try decodeNodeState(try reader.readValue(), index: i))
            }
            let userState = try reader.readBytes(Int(userStateLength))
            return (.pushPull(PushPull(join: join, nodes: nodes, userState: userState)), reader.position)
        case .user:
            let header = try MsgPackStruct(try reader.readValue(), what: "user header")
            let length = try header.uint64("UserMsgLen")
            guard length <= UInt64(streamTailBytesMax) else { throw .malformed("user message declares \(length) bytes") }
            let payload = try reader.readBytes(Int(length))
            return (.user(payload), reader.position)
        case .encrypt:
            throw .unsupported("encrypted")
        case .compress:
            throw .malformed("compress wrapper inside a compressed stream message")
        case .indirectPing, .nack, .suspect, .alive, .dead, .compound, .hasCRC:
            throw .unknownType(typeByte)
        }
    }
}
