import Platform

/// An outbound TCP exchange we are waiting on.
enum PendingStream {
    case ping(seq: UInt32)
    case pushPull(joinID: UInt64?, address: SocketAddress)
}

struct JoinInFlight {
    var outstanding: Int
    var joined = 0
    var errors: [String] = []
}

/// Getting bytes in and out: datagram dispatch, piggy-backed gossip, push/pull, join and leave.
extension Memberlist {
    // MARK: Inputs

    /// One received datagram, already decrypted. Malformed ones are counted and dropped.
    public func receivePacket(_ bytes: [UInt8], from sender: SocketAddress, now: Instant) {
        stats.packetsReceived += 1
        let messages: [MemberlistMessage]
        do { messages = try MemberlistCodec.decodePacket(bytes) } catch {
            stats.packetsDropped += 1
            return
        }
        for message in messages { handlePacketMessage(message, from: sender, now: now) }
    }

    func handlePacketMessage(_ message: MemberlistMessage, from sender: SocketAddress, now: Instant) {
        switch message {
        case .ping(let ping): handlePing(ping, from: sender)
        case .indirectPing(let request): handleIndirectPing(request, from: sender, now: now)
        case .ack(let ack): handleAck(ack, now: now)
        case .nack(let nack): handleNack(nack)
        case .suspect(let suspect): handleSuspect(suspect, now: now)
        case .alive(let alive): handleAlive(alive, now: now)
        case .dead(let dead): handleDead(dead, now: now)
        case .user(let bytes): delegate?.notifyMessage(bytes, now: now)
        case .pushPull, .err: stats.packetsDropped += 1
        }
    }

    /// A complete message from a peer that connected to us over TCP. Returns the reply to write
    /// (stream-encoded), or nil to close without one.
    public func receiveStream(_ message: MemberlistMessage, from sender: SocketAddress, now: Instant) -> [UInt8]? {
        switch message {
        case .ping(let ping):
            guard ping.node.isEmpty || ping.node == config.name else { return nil }
            return MemberlistCodec.encodeStream(.ack(Ack(seqNo: ping.seqNo, payload: nil)), compress: config.enableCompression)
        case .pushPull(let remote):
            // Reply first (as memberlist does), then merge what they sent.
            let reply = MemberlistCodec.encodeStream(.pushPull(localPushPull(join: remote.join)), compress: config.enableCompression)
            if let problem = mergePushPull(remote, now: now) {
                actions.append(.warning("memberlist: push/pull from \(sender) rejected: \(problem)"))
            }
            return reply
        case .user(let bytes):
            delegate?.notifyMessage(bytes, now: now)
            return nil
        default:
            stats.streamsDropped += 1
            return nil
        }
    }

    /// A stream opened by `.openStream` ended: with the peer's reply, or with an error.
    public func streamFinished(id: UInt64, reply: MemberlistMessage?, error: String?, now: Instant) {
        guard let pending = streams.removeValue(forKey: id) else { return }
        switch pending {
        case .ping(let seq):
            if case .ack(let ack)? = reply, ack.seqNo == seq {
                actions.append(.warning("memberlist: was able to connect to \(probe?.target ?? "a node") over TCP but UDP probes failed, network may be misconfigured"))
                probeSucceeded(seq: seq, payload: nil, direct: false, now: now)
            }
        case .pushPull(let joinID, let address):
            var problem: String?
            switch reply {
            case .pushPull(let remote)?: problem = mergePushPull(remote, now: now)
            case .err(let text)?: problem = "remote error: \(text)"
            case .some: problem = "unexpected reply"
            case nil: problem = error ?? "no reply"
            }
            guard let joinID, var join = joins[joinID] else {
                if let problem { actions.append(.warning("memberlist: push/pull with \(address) failed: \(problem)")) }
                return
            }
            join.outstanding -= 1
            if let problem { join.errors.append("\(address): \(problem)") } else { join.joined += 1 }
            if join.outstanding == 0 {
                joins[joinID] = nil
                actions.append(.joinFinished(id: joinID, joined: join.joined, errors: join.errors))
            } else {
                joins[joinID] = join
            }
        }
    }

    // MARK: Join, leave, direct sends

    /// Push/pull with each address (Join = true). The outcome arrives as `.joinFinished(id:…)`.
    @discardableResult
    public func join(_ addresses: [SocketAddress], now: Instant) -> UInt64 {
        streamSequence += 1
        let joinID = streamSequence
        guard !addresses.isEmpty else {
            actions.append(.joinFinished(id: joinID, joined: 0, errors: []))
            return joinID
        }
        joins[joinID] = JoinInFlight(outstanding: addresses.count)
        for address in addresses {
            let id = openStream(to: address, message: .pushPull(localPushPull(join: true)), expectsReply: true,
                                timeoutNanos: config.tcpTimeoutNanos)
            streams[id] = .pushPull(joinID: joinID, address: address)
        }
        return joinID
    }

    /// Graceful leave: a dead message about ourselves from ourselves. The driver keeps ticking
    /// until `pendingBroadcasts` is 0 (or its timeout), then stops.
    public func leave(now: Instant) {
        guard !isLeaving, let me = nodes[config.name] else { return }
        isLeaving = true
        probe = nil
        handleDead(Dead(incarnation: me.incarnation, node: me.name, from: me.name), now: now)
    }

    /// Whether anybody else is alive to hear our broadcasts.
    public var hasLivePeers: Bool { nodes.values.contains { $0.name != config.name && !$0.isDeadOrLeft } }

    /// A serf message sent straight to an address (query responses, relays), not piggy-backed.
    public func sendUser(_ serfMessage: [UInt8], to address: SocketAddress) {
        let payload = [8] + serfMessage
        actions.append(.sendPacket(to: address, bytes: MemberlistCodec.wrapPacket(payload, compress: config.enableCompression, crc: false)))
    }

    // MARK: Outputs

    func localPushPull(join: Bool) -> PushPull {
        let records = nodes.values.sorted { $0.name < $1.name }.map {
            PushNodeState(name: $0.name, addr: $0.addr, port: $0.port, meta: $0.meta, incarnation: $0.incarnation, state: $0.state, vsn: $0.vsn)
        }
        return PushPull(join: join, nodes: records, userState: delegate?.localState(join: join) ?? [])
    }

    func mergePushPull(_ remote: PushPull, now: Instant) -> String? {
        if let problem = verifyProtocol(remote.nodes) { return problem }
        let records = remote.nodes.map {
            NodeRecord(name: $0.name, addr: $0.addr, port: $0.port, meta: $0.meta ?? [], incarnation: $0.incarnation,
                       state: $0.state, stateChange: now, vsn: $0.vsn)
        }
        if let veto = delegate?.vetoMerge(records) { return veto }
        mergeRemote(remote.nodes, now: now)
        if !remote.userState.isEmpty { delegate?.mergeRemoteState(remote.userState, join: remote.join, now: now) }
        return nil
    }

    func openStream(to address: SocketAddress, message: MemberlistMessage, expectsReply: Bool, timeoutNanos: UInt64) -> UInt64 {
        streamSequence += 1
        actions.append(.openStream(id: streamSequence, to: address,
                                   bytes: MemberlistCodec.encodeStream(message, compress: config.enableCompression),
                                   expectsReply: expectsReply, timeoutNanos: timeoutNanos))
        return streamSequence
    }

    /// Every gossip interval: queued broadcasts to a few random nodes (the recently dead included,
    /// so they learn they were declared dead and can refute).
    func gossip(now: Instant) {
        stats.gossipRounds += 1
        let targets = randomNodes(count: config.gossipNodes) { node in
            switch node.state {
            case .alive, .suspect: return true
            case .dead: return now.nanos(since: node.stateChange) <= config.gossipToTheDeadNanos
            case .left: return false
            }
        }
        for target in targets {
            let parts = takeBroadcasts(alreadyUsed: 0)
            if parts.isEmpty { return }
            let payload = parts.count == 1 ? parts[0] : MemberlistCodec.compound(parts)
            actions.append(.sendPacket(to: target.address, bytes: MemberlistCodec.wrapPacket(
                payload, compress: config.enableCompression, crc: target.protocolMax >= 5)))
        }
    }

    func periodicPushPull(now: Instant) {
        guard !isLeaving, let peer = randomNodes(count: 1, filter: { $0.state == .alive }).first else { return }
        let id = openStream(to: peer.address, message: .pushPull(localPushPull(join: false)), expectsReply: true,
                            timeoutNanos: config.tcpTimeoutNanos)
        streams[id] = .pushPull(joinID: nil, address: peer.address)
    }

    /// memberlist broadcasts first, then serf's (each framed as a user message), within one datagram.
    func takeBroadcasts(alreadyUsed: Int) -> [[UInt8]] {
        let budget = config.udpBufferSize - 2 - encryptionOverhead - alreadyUsed
        var parts = broadcasts.take(overhead: 2, limit: budget, transmitLimit: transmitLimit())
        let used = parts.reduce(0) { $0 + $1.count + 2 }
        if let delegate, parts.count < 126 {
            let serf = delegate.broadcasts(overhead: 3, limit: budget - used)
            parts += serf.prefix(126 - parts.count).map { [8] + $0 }
        }
        return parts
    }

    /// A primary message (ping, ack, …) with whatever gossip fits beside it.
    func send(_ primary: [[UInt8]], to address: SocketAddress, node: NodeRecord?) {
        let used = primary.reduce(0) { $0 + $1.count + 2 }
        let parts = primary + takeBroadcasts(alreadyUsed: used)
        let payload = parts.count == 1 ? parts[0] : MemberlistCodec.compound(parts)
        actions.append(.sendPacket(to: address, bytes: MemberlistCodec.wrapPacket(
            payload, compress: config.enableCompression, crc: (node?.protocolMax ?? 0) >= 5)))
    }
}
