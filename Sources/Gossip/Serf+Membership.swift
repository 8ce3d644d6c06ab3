import Platform

/// memberlist's node events and serf's join/leave intents, which together decide a member's
/// status (alive, leaving, left, failed).
extension Serf {
    public func nodeMeta(limit: Int) -> [UInt8] {
        let meta = SerfCodec.encodeTags(tags)
        return meta.count <= limit ? meta : Array(meta.prefix(limit))
    }

    public func notifyJoin(_ node: NodeRecord, now: Instant) {
        var member = membersByName[node.name] ?? SerfMember(name: node.name, addr: node.addr, port: node.port, tags: [:],
                                                            status: .none, vsn: node.vsn)
        member.addr = node.addr
        member.port = node.port
        member.vsn = node.vsn
        member.tags = SerfCodec.decodeTags(node.meta)
        member.status = .alive
        member.leaveTime = nil
        if let intent = recentIntents.removeValue(forKey: node.name), intent.ltime > member.statusLTime {
            member.statusLTime = intent.ltime
            if intent.leave { member.status = .leaving }
        }
        membersByName[node.name] = member
        events.append(.memberJoin(member))
    }

    public func notifyLeave(_ node: NodeRecord, now: Instant) {
        guard var member = membersByName[node.name] else { return }
        let wasLeaving = member.status == .leaving
        member.leaveTime = now
        if wasLeaving || node.state == .left {
            member.status = .left
            membersByName[node.name] = member
            events.append(.memberLeave(member))
        } else {
            member.status = .failed
            membersByName[node.name] = member
            events.append(.memberFailed(member))
        }
    }

    public func notifyUpdate(_ node: NodeRecord, now: Instant) {
        guard var member = membersByName[node.name] else { return }
        member.addr = node.addr
        member.port = node.port
        member.vsn = node.vsn
        member.tags = SerfCodec.decodeTags(node.meta)
        membersByName[node.name] = member
        events.append(.memberUpdate(member))
    }

    public func vetoMerge(_ nodes: [NodeRecord]) -> String? {
        guard let memberVeto else { return nil }
        for node in nodes {
            let member = SerfMember(name: node.name, addr: node.addr, port: node.port, tags: SerfCodec.decodeTags(node.meta),
                                    status: .alive, vsn: node.vsn)
            if let problem = memberVeto(member) { return problem }
        }
        return nil
    }

    public func vetoAlive(_ node: NodeRecord) -> String? {
        guard let memberVeto else { return nil }
        return memberVeto(SerfMember(name: node.name, addr: node.addr, port: node.port, tags: SerfCodec.decodeTags(node.meta),
                                     status: .alive, vsn: node.vsn))
    }

    /// Returns whether the intent was news (then it is re-broadcast).
    func handleJoinIntent(_ intent: JoinIntent, now: Instant?) -> Bool {
        clock.witness(intent.ltime)
        guard var member = membersByName[intent.node] else {
            return recordRecentIntent(node: intent.node, leave: false, ltime: intent.ltime, now: now)
        }
        guard intent.ltime > member.statusLTime else { return false }
        member.statusLTime = intent.ltime
        if member.status == .leaving { member.status = .alive }
        membersByName[intent.node] = member
        return true
    }

    func handleLeaveIntent(_ intent: LeaveIntent, now: Instant) -> Bool {
        clock.witness(intent.ltime)
        guard var member = membersByName[intent.node] else {
            return recordRecentIntent(node: intent.node, leave: true, ltime: intent.ltime, now: now)
        }
        guard intent.ltime > member.statusLTime else { return false }
        // Somebody says we are leaving while we are not: contradict with a fresh join intent.
        if intent.node == localName && !memberlist.isLeaving && member.status == .alive {
            broadcastJoinIntent()
            return false
        }
        member.statusLTime = intent.ltime
        switch member.status {
        case .alive:
            member.status = .leaving
            membersByName[intent.node] = member
        case .failed:
            member.status = .left
            member.leaveTime = member.leaveTime ?? now
            membersByName[intent.node] = member
            events.append(.memberLeave(member))
        case .leaving, .left, .none:
            membersByName[intent.node] = member
        }
        if intent.prune && intent.node != localName && member.status == .left {
            membersByName[intent.node] = nil
            events.append(.memberReap(member))
        }
        return true
    }

    func recordRecentIntent(node: String, leave: Bool, ltime: UInt64, now: Instant?) -> Bool {
        if let existing = recentIntents[node], existing.ltime >= ltime { return false }
        recentIntents[node] = (leave, ltime, now ?? Instant(nanoseconds: 0))
        return true
    }
}
