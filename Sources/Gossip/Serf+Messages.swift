import Wire
import Platform

/// serf's own messages: dispatch, user events (deduplicated in a ring), queries (answered; ours collected),
/// push/pull state, and the coordinate carried in acks.
extension Serf {
    public func notifyMessage(_ bytes: [UInt8], now: Instant) {
        guard let message = try? SerfCodec.decode(bytes) else { return }
        switch message {
        case .leave(let intent):
            if handleLeaveIntent(intent, now: now) { intentBroadcasts.enqueue(bytes, subject: intent.node) }
        case .join(let intent):
            if handleJoinIntent(intent, now: now) { intentBroadcasts.enqueue(bytes, subject: intent.node) }
        case .userEvent(let event):
            if handleUserEvent(event) { eventBroadcasts.enqueue(bytes, subject: nil) }
        case .query(let query):
            handleQuery(query, raw: bytes)
        case .relay(let addr, let port, _, let inner):
            if let host = IPText.text(addr) { memberlist.sendUser(inner, to: SocketAddress(host: host, port: Int(port))) }
        case .queryResponse(let response):
            collectResponse(response)
        case .pushPull:
            break // push/pull state only arrives through mergeRemoteState
        }
    }

    public func broadcasts(overhead: Int, limit: Int) -> [[UInt8]] {
        let transmits = retransmitLimit(mult: memberlist.config.retransmitMult, nodes: membersByName.count)
        var out = intentBroadcasts.take(overhead: overhead, limit: limit, transmitLimit: transmits)
        var used = out.reduce(0) { $0 + $1.count + overhead }
        let queries = queryBroadcasts.take(overhead: overhead, limit: limit - used, transmitLimit: transmits)
        used += queries.reduce(0) { $0 + $1.count + overhead }
        out += queries
        out += eventBroadcasts.take(overhead: overhead, limit: limit - used, transmitLimit: transmits)
        return out
    }

    /// Returns whether the event was new (then it is delivered and re-broadcast).
    func handleUserEvent(_ event: UserEventMessage) -> Bool {
        eventClock.witness(event.ltime)
        if event.ltime < eventMinTime { return false }
        let buffer = UInt64(eventRing.count)
        let now = eventClock.time
        if now > buffer && event.ltime < now - buffer { return false }
        let index = Int(event.ltime % buffer)
        if var slot = eventRing[index], slot.ltime == event.ltime {
            if slot.events.contains(where: { $0.name == event.name && $0.payload == event.payload }) { return false }
            slot.events.append((event.name, event.payload))
            eventRing[index] = slot
        } else {
            eventRing[index] = UserEventSlot(ltime: event.ltime, events: [(event.name, event.payload)])
        }
        events.append(.user(name: event.name, payload: event.payload, ltime: event.ltime, coalesce: event.cc))
        return true
    }

    func handleQuery(_ query: QueryMessage, raw: [UInt8]) {
        queryClock.witness(query.ltime)
        let buffer = UInt64(queryRing.count)
        let now = queryClock.time
        if now > buffer && query.ltime < now - buffer { return }
        let index = Int(query.ltime % buffer)
        if let slot = queryRing[index], slot.ltime == query.ltime {
            if slot.ids.contains(query.id) { return }
            queryRing[index] = (slot.ltime, slot.ids + [query.id])
        } else {
            queryRing[index] = (query.ltime, [query.id])
        }
        if query.flags & 2 == 0 { queryBroadcasts.enqueue(raw, subject: nil) }
        guard queryMatchesFilters(query.filters), let host = IPText.text(query.addr) else { return }
        let origin = SocketAddress(host: host, port: Int(query.port))
        if query.flags & 1 != 0 {
            let ack = QueryResponseMessage(ltime: query.ltime, id: query.id, from: localName, flags: 1, payload: [])
            memberlist.sendUser(SerfCodec.encode(.queryResponse(ack)), to: origin)
        }
        // `_serf_ping` needs nothing beyond the ack; keyring queries change and report our keyring.
        _ = answerInternalQuery(query, origin: origin)
    }

    /// Node-name filters must list us; tag filters must match our tag (anchored regex).
    func queryMatchesFilters(_ filters: [[UInt8]]) -> Bool {
        for filter in filters {
            guard let kind = filter.first else { return false }
            let body = Array(filter.dropFirst())
            switch kind {
            case 0:
                guard let names = try? MsgPackReader.decodeStringArray(body), names.contains(localName) else { return false }
            case 1:
                guard let (tag, expression) = try? MsgPackReader.decodeTagFilter(body) else { return false }
                guard let value = tags[tag], let regex = try? Regex(expression), (try? regex.firstMatch(in: value)) != nil else { return false }
            default:
                return false
            }
        }
        return true
    }

    // MARK: Push/pull state

    public func localState(join: Bool) -> [UInt8] {
        var statusLTimes: [String: UInt64] = [:]
        var left: [String] = []
        for member in membersByName.values {
            statusLTimes[member.name] = member.statusLTime
            if member.status == .left { left.append(member.name) }
        }
        let state = SerfPushPull(ltime: clock.time, statusLTimes: statusLTimes, leftMembers: left.sorted(),
                                 eventLTime: eventClock.time, events: eventRing, queryLTime: queryClock.time)
        return SerfCodec.encode(.pushPull(state))
    }

    public func mergeRemoteState(_ bytes: [UInt8], join: Bool, now: Instant) {
        guard case .pushPull(let state)? = try? SerfCodec.decode(bytes) else { return }
        if state.ltime > 0 { clock.witness(state.ltime - 1) }
        if state.eventLTime > 0 { eventClock.witness(state.eventLTime - 1) }
        if state.queryLTime > 0 { queryClock.witness(state.queryLTime - 1) }
        let left = Set(state.leftMembers)
        for name in state.leftMembers {
            _ = handleLeaveIntent(LeaveIntent(ltime: state.statusLTimes[name] ?? 0, node: name), now: now)
        }
        for (name, ltime) in state.statusLTimes.sorted(by: { $0.key < $1.key }) where !left.contains(name) {
            _ = handleJoinIntent(JoinIntent(ltime: ltime, node: name), now: now)
        }
        // A joining node with ignore-old skips the history it was not there for.
        if join && ignoreOldEventsOnJoin { eventMinTime = max(eventMinTime, state.eventLTime) }
        for slot in state.events {
            guard let slot else { continue }
            for event in slot.events {
                _ = handleUserEvent(UserEventMessage(ltime: slot.ltime, name: event.name, payload: event.payload))
            }
        }
    }

    // MARK: Coordinates

    public func ackPayload() -> [UInt8]? { SerfCodec.encodeCoordinatePayload(vivaldi.coordinate) }

    public func notifyPingComplete(node: String, rttNanos: UInt64, payload: [UInt8]?) {
        guard let payload, !payload.isEmpty, let other = try? SerfCodec.decodeCoordinatePayload(payload) else { return }
        peerCoordinates[node] = other
        _ = vivaldi.update(node: node, other: other, rttSeconds: Double(rttNanos) / 1e9)
    }
}
