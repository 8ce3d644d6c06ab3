import Wire
import Platform

/// The probe in progress: a direct ping, then (after the probe timeout) indirect pings and a
/// TCP fallback, and at the end of the probe interval a verdict.
struct ProbeInFlight {
    enum Phase { case direct, indirect }
    var target: String
    var seq: UInt32
    var sentAt: Instant
    var phase: Phase
    var expectedNacks = 0
    var nacks = 0
    var nextCheck: Instant
}

/// An indirect ping we relay for somebody else: our own ping is out, their ack (or nack) is owed.
struct RelayInFlight {
    var requester: SocketAddress
    var requesterSeq: UInt32
    var wantsNack: Bool
    var deadline: Instant
}

extension Memberlist {
    /// Picks the next node round-robin (reshuffled after each full pass), skipping ourselves
    /// and the dead, and pings it.
    func startProbe(now: Instant) {
        var checked = 0
        while checked < probeOrder.count {
            if probeIndex >= probeOrder.count {
                resetProbeOrder(now: now)
                probeIndex = 0
                if probeOrder.isEmpty { return }
            }
            let name = probeOrder[probeIndex]
            probeIndex += 1
            checked += 1
            guard name != config.name, let node = nodes[name], !node.isDeadOrLeft else { continue }
            stats.probes += 1
            let seq = nextSequence()
            probe = ProbeInFlight(target: name, seq: seq, sentAt: now, phase: .direct,
                                  nextCheck: now.adding(nanoseconds: config.probeTimeoutNanos))
            var parts = [MemberlistCodec.encode(.ping(ping(seq: seq, to: node)))]
            // A suspect is told so along with the ping, so it can refute at once (buddy system).
            if node.state == .suspect {
                parts.append(MemberlistCodec.encode(.suspect(Suspect(incarnation: node.incarnation, node: name, from: config.name))))
            }
            send(parts, to: node.address, node: node)
            return
        }
    }

    /// Drops nodes dead for longer than gossip-to-the-dead and reshuffles the probe order.
    func resetProbeOrder(now: Instant) {
        let expired = nodes.values.filter { $0.isDeadOrLeft && $0.name != config.name
            && now.nanos(since: $0.stateChange) > config.gossipToTheDeadNanos }
        for node in expired { nodes[node.name] = nil; suspicions[node.name] = nil }
        probeOrder = nodes.keys.sorted()
        shuffle(&probeOrder)
    }

    func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, Int(random.next(below: UInt64(i + 1))))
        }
    }

    func ping(seq: UInt32, to node: NodeRecord) -> Ping {
        Ping(seqNo: seq, node: node.name, sourceAddr: config.advertiseAddr, sourcePort: config.advertisePort, sourceNode: config.name)
    }

    func advanceProbe(now: Instant) {
        guard var current = probe else { return }
        guard let node = nodes[current.target], !node.isDeadOrLeft else { probe = nil; return }
        switch current.phase {
        case .direct:
            // No direct ack in time: ask k others to try, and try TCP ourselves.
            current.phase = .indirect
            current.nextCheck = current.sentAt.adding(nanoseconds: scaledProbeInterval)
            let helpers = randomNodes(count: config.indirectChecks) { $0.name != node.name && $0.state == .alive }
            for helper in helpers {
                let wantsNack = helper.protocolMax >= 4
                if wantsNack { current.expectedNacks += 1 }
                let request = IndirectPing(seqNo: current.seq, target: node.addr, port: node.port, node: node.name, nack: wantsNack,
                                           sourceAddr: config.advertiseAddr, sourcePort: config.advertisePort, sourceNode: config.name)
                send([MemberlistCodec.encode(.indirectPing(request))], to: helper.address, node: helper)
            }
            if node.protocolMax >= 3 {
                let id = openStream(to: node.address, message: .ping(ping(seq: current.seq, to: node)), expectsReply: true,
                                    timeoutNanos: max(config.probeTimeoutNanos, current.nextCheck.nanoseconds &- min(now.nanoseconds, current.nextCheck.nanoseconds)))
                streams[id] = .ping(seq: current.seq)
            }
            probe = current
        case .indirect:
            // Nobody reached it: suspect it, and count our own possible fault (Lifeguard).
            probe = nil
            stats.probeFailures += 1
            probeDurations.append(now.nanos(since: current.sentAt))
            let missingNacks = current.expectedNacks > 0 ? max(0, current.expectedNacks - current.nacks) : 0
            adjustHealth(1 + missingNacks)
            handleSuspect(Suspect(incarnation: node.incarnation, node: node.name, from: config.name), now: now)
        }
    }

    func probeSucceeded(seq: UInt32, payload: [UInt8]?, direct: Bool, now: Instant) {
        guard let current = probe, current.seq == seq else { return }
        probe = nil
        probeDurations.append(now.nanos(since: current.sentAt))
        adjustHealth(-1)
        if direct {
            delegate?.notifyPingComplete(node: current.target, rttNanos: now.nanos(since: current.sentAt), payload: payload)
        }
    }

    func handlePing(_ ping: Ping, from sender: SocketAddress) {
        guard ping.node.isEmpty || ping.node == config.name else { return }
        let ack = Ack(seqNo: ping.seqNo, payload: delegate?.ackPayload())
        send([MemberlistCodec.encode(.ack(ack))], to: replyAddress(ping.sourceAddr, ping.sourcePort, fallback: sender), node: nil)
    }

    func handleIndirectPing(_ request: IndirectPing, from sender: SocketAddress, now: Instant) {
        guard let targetHost = IPText.text(request.target) else { return }
        let seq = nextSequence()
        let port = request.port == 0 ? config.advertisePort : request.port
        let ping = Ping(seqNo: seq, node: request.node, sourceAddr: config.advertiseAddr, sourcePort: config.advertisePort, sourceNode: config.name)
        send([MemberlistCodec.encode(.ping(ping))], to: SocketAddress(host: targetHost, port: Int(port)), node: nil)
        relays[seq] = RelayInFlight(requester: replyAddress(request.sourceAddr, request.sourcePort, fallback: sender),
                                    requesterSeq: request.seqNo, wantsNack: request.nack,
                                    deadline: now.adding(nanoseconds: config.probeTimeoutNanos))
    }

    func handleAck(_ ack: Ack, now: Instant) {
        if let relay = relays.removeValue(forKey: ack.seqNo) {
            send([MemberlistCodec.encode(.ack(Ack(seqNo: relay.requesterSeq, payload: nil)))], to: relay.requester, node: nil)
            return
        }
        let direct = probe?.phase == .direct
        probeSucceeded(seq: ack.seqNo, payload: ack.payload, direct: direct, now: now)
    }

    func handleNack(_ nack: Nack) {
        if probe?.seq == nack.seqNo { probe?.nacks += 1 }
    }

    func expireRelays(now: Instant) {
        for (seq, relay) in relays where now >= relay.deadline {
            relays[seq] = nil
            if relay.wantsNack {
                send([MemberlistCodec.encode(.nack(Nack(seqNo: relay.requesterSeq)))], to: relay.requester, node: nil)
            }
        }
    }

    func replyAddress(_ addr: IPBytes?, _ port: UInt16?, fallback: SocketAddress) -> SocketAddress {
        if let addr, let port, port != 0, let host = IPText.text(addr) { return SocketAddress(host: host, port: Int(port)) }
        return fallback
    }

    /// Up to `count` distinct random nodes other than ourselves that pass `filter`.
    func randomNodes(count: Int, filter: (NodeRecord) -> Bool) -> [NodeRecord] {
        var candidates = nodes.values.filter { $0.name != config.name && filter($0) }.sorted { $0.name < $1.name }
        shuffle(&candidates)
        return Array(candidates.prefix(count))
    }
}
