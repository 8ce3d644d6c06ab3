import Wire
import Platform

/// How alive, suspect and dead messages change what we believe (memberlist's state.go rules,
/// gossip-wire.md §5.10): higher incarnations win, claims about ourselves are refuted.
extension Memberlist {
    func handleAlive(_ alive: Alive, now: Instant) {
        guard alive.vsn.count == 6 else { return }
        // Nonsense versions are ignored rather than poisoning the table.
        if alive.vsn[0] == 0 || alive.vsn[1] == 0 || alive.vsn[0] > alive.vsn[1] { return }
        let isLocal = alive.node == config.name
        var existing = nodes[alive.node]
        var addressChanged = false
        if let known = existing, known.addr != alive.addr || known.port != alive.port {
            let reclaimable = known.state == .left
                || (known.state == .dead && config.deadNodeReclaimNanos > 0
                    && now.nanos(since: known.stateChange) >= config.deadNodeReclaimNanos)
            guard reclaimable, !isLocal else {
                actions.append(.warning("memberlist: conflicting address for \(alive.node): mine \(known.address), theirs \(addressText(alive))"))
                return
            }
            addressChanged = true
        }
        if !isLocal, let veto = delegate?.vetoAlive(record(from: alive, state: .alive, now: now)) {
            actions.append(.warning("memberlist: ignoring alive message for '\(alive.node)': \(veto)"))
            return
        }
        if existing == nil {
            // New nodes start dead at incarnation 0, so their first alive (≥ 1) is a join.
            existing = NodeRecord(name: alive.node, addr: alive.addr, port: alive.port, meta: [], incarnation: 0,
                                  state: .dead, stateChange: now, vsn: alive.vsn)
            nodes[alive.node] = existing
            let position = Int(random.next(below: UInt64(probeOrder.count + 1)))
            probeOrder.insert(alive.node, at: min(position, probeOrder.count))
        }
        guard var node = existing else { return }
        if isLocal {
            if alive.incarnation < node.incarnation { return }
            if alive.incarnation == node.incarnation && alive.meta ?? [] == node.meta && alive.vsn == node.vsn { return }
            if isLeaving { return }
            refute(incarnation: alive.incarnation)
            return
        }
        if alive.incarnation <= node.incarnation && !addressChanged { return }
        suspicions[alive.node] = nil
        broadcasts.enqueue(MemberlistCodec.encode(.alive(alive)), subject: alive.node)
        let wasDown = node.isDeadOrLeft
        let metaChanged = node.meta != alive.meta ?? [] || node.vsn != alive.vsn
        node.incarnation = alive.incarnation
        node.meta = alive.meta ?? []
        node.addr = alive.addr
        node.port = alive.port
        node.vsn = alive.vsn
        if node.state != .alive { node.state = .alive; node.stateChange = now }
        nodes[alive.node] = node
        if wasDown { delegate?.notifyJoin(node, now: now) } else if metaChanged { delegate?.notifyUpdate(node, now: now) }
    }

    func handleSuspect(_ suspect: Suspect, now: Instant) {
        guard var node = nodes[suspect.node], suspect.incarnation >= node.incarnation else { return }
        if var running = suspicions[suspect.node] {
            if running.confirm(from: suspect.from) {
                suspicions[suspect.node] = running
                broadcasts.enqueue(MemberlistCodec.encode(.suspect(suspect)), subject: suspect.node)
            }
            return
        }
        guard node.state == .alive else { return }
        if suspect.node == config.name {
            if isLeaving { return }
            refute(incarnation: suspect.incarnation)
            return
        }
        broadcasts.enqueue(MemberlistCodec.encode(.suspect(suspect)), subject: suspect.node)
        node.incarnation = suspect.incarnation
        node.state = .suspect
        node.stateChange = now
        nodes[suspect.node] = node
        let bounds = Suspicion.bounds(nodes: nodes.count, suspicionMult: config.suspicionMult,
                                      maxTimeoutMult: config.suspicionMaxTimeoutMult, probeIntervalNanos: config.probeIntervalNanos)
        // Confirmations can only come from nodes other than the suspect and the first accuser.
        var expected = config.suspicionMult - 2
        if nodes.count - 2 < expected { expected = 0 }
        suspicions[suspect.node] = Suspicion(start: now, accuser: suspect.from, minNanos: bounds.min, maxNanos: bounds.max,
                                             expectedConfirmations: expected)
    }

    func suspicionExpired(_ name: String, now: Instant) {
        suspicions[name] = nil
        guard let node = nodes[name], node.state == .suspect else { return }
        handleDead(Dead(incarnation: node.incarnation, node: name, from: config.name), now: now)
    }

    func handleDead(_ dead: Dead, now: Instant) {
        guard var node = nodes[dead.node], dead.incarnation >= node.incarnation else { return }
        suspicions[dead.node] = nil
        if node.isDeadOrLeft { return }
        if dead.node == config.name {
            if !isLeaving {
                refute(incarnation: dead.incarnation)
                return
            }
        }
        broadcasts.enqueue(MemberlistCodec.encode(.dead(dead)), subject: dead.node)
        node.incarnation = dead.incarnation
        node.state = dead.from == dead.node ? .left : .dead
        node.stateChange = now
        nodes[dead.node] = node
        if dead.node != config.name { delegate?.notifyLeave(node, now: now) }
    }

    /// Somebody believes we are suspect or dead, or holds an odd view of us: announce a higher
    /// incarnation. Having to do so also hints that our own network may be slow (Lifeguard).
    func refute(incarnation accused: UInt32) {
        guard var me = nodes[config.name] else { return }
        me.incarnation = max(me.incarnation &+ 1, accused &+ 1)
        nodes[config.name] = me
        stats.refutations += 1
        adjustHealth(1)
        broadcasts.enqueue(MemberlistCodec.encode(.alive(aliveMessage(for: me))), subject: me.name)
    }

    /// A push/pull peer's table: alive → alive, left → graceful dead, dead or suspect → our suspicion.
    func mergeRemote(_ records: [PushNodeState], now: Instant) {
        for r in records {
            switch r.state {
            case .alive:
                handleAlive(Alive(incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn), now: now)
            case .left:
                handleDead(Dead(incarnation: r.incarnation, node: r.name, from: r.name), now: now)
            case .dead, .suspect:
                handleSuspect(Suspect(incarnation: r.incarnation, node: r.name, from: config.name), now: now)
            }
        }
    }

    /// memberlist's version check on push/pull: every record's spoken versions must fall inside
    /// the range all alive nodes understand; otherwise nothing from the exchange is merged.
    func verifyProtocol(_ remote: [PushNodeState]) -> String? {
        var pMin: UInt8 = 0, pMax: UInt8 = 255, dMin: UInt8 = 0, dMax: UInt8 = 255
        func widen(_ v: [UInt8]) {
            pMin = max(pMin, v[0]); pMax = min(pMax, v[1]); dMin = max(dMin, v[3]); dMax = min(dMax, v[4])
        }
        for r in remote where r.state == .alive && r.vsn.count == 6 { widen(r.vsn) }
        for n in nodes.values where n.state == .alive && n.vsn.count == 6 { widen(n.vsn) }
        for r in remote {
            let v = r.vsn.count == 6 ? r.vsn : [0, 0, 0, 0, 0, 0]
            if v[2] < pMin || v[2] > pMax { return "node '\(r.name)' uses memberlist protocol \(v[2]), cluster range \(pMin)-\(pMax)" }
            if v[5] < dMin || v[5] > dMax { return "node '\(r.name)' uses serf protocol \(v[5]), cluster range \(dMin)-\(dMax)" }
        }
        for n in nodes.values where n.state == .alive && n.vsn.count == 6 {
            if n.vsn[2] < pMin || n.vsn[2] > pMax || n.vsn[5] < dMin || n.vsn[5] > dMax {
                return "node '\(n.name)' is outside the cluster's protocol range"
            }
        }
        return nil
    }

    func record(from alive: Alive, state: NodeStateKind, now: Instant) -> NodeRecord {
        NodeRecord(name: alive.node, addr: alive.addr, port: alive.port, meta: alive.meta ?? [], incarnation: alive.incarnation,
                   state: state, stateChange: now, vsn: alive.vsn)
    }

    func addressText(_ alive: Alive) -> String {
        "\(IPText.text(alive.addr) ?? "?"):\(alive.port)"
    }
}
