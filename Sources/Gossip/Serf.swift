import Platform

/// serf over memberlist: member status with Lamport-ordered join/leave intents, tags, user
/// events, queries (answered; keyring queries also originated), reaping and reconnecting. Pure like Memberlist:
/// the driver feeds `receivePacket`/`receiveStream`/`streamFinished`/`tick` and performs
/// `takeActions()`; the application reads `takeEvents()` and `members`.
public final class Serf: MemberlistDelegate {
    public let memberlist: Memberlist
    public let config: SerfConfig
    public private(set) var tags: [String: String]
    public internal(set) var membersByName: [String: SerfMember] = [:]
    let random: RandomSource

    // serf starts every clock at 1 (a fresh agent's push/pull shows LTime 1).
    var clock = LamportClock(time: 1)
    var eventClock = LamportClock(time: 1)
    var queryClock = LamportClock(time: 1)
    var intentBroadcasts = BroadcastQueue()
    var eventBroadcasts = BroadcastQueue()
    var queryBroadcasts = BroadcastQueue()
    /// Intents about members we have not met yet, applied when they join.
    var recentIntents: [String: (leave: Bool, ltime: UInt64, at: Instant)] = [:]
    var eventRing: [UserEventSlot?]
    /// Events older than this (Lamport time) are ignored: set on join with ignore-old.
    var eventMinTime: UInt64 = 0
    var ignoreOldEventsOnJoin = false
    var queryRing: [(ltime: UInt64, ids: [UInt32])?]
    var events: [SerfEvent] = []
    var actions: [MemberlistAction] = []
    /// Joins started by the application (reconnects are not), which get a join intent on success.
    var applicationJoins: Set<UInt64> = []
    var nextReapAt: Instant
    var nextReconnectAt: Instant
    public var vivaldi: VivaldiClient
    /// The last coordinate each member reported in an ack (what `/v1/coordinate/nodes` shows).
    public internal(set) var peerCoordinates: [String: Coordinate] = [:]
    /// Consul's merge delegate: may refuse members (wrong datacenter, duplicate node ID).
    public var memberVeto: ((SerfMember) -> String?)?
    /// Gossip encryption keys (nil = plaintext pool); keyring queries change them.
    public internal(set) var keyring: Keyring?
    var keyringChanged = false
    var pendingQueries: [UInt64: PendingQuery] = [:]
    var finishedQueries: [(handle: UInt64, result: KeyringQueryResult)] = []
    var nextQueryHandle: UInt64 = 0

    public init(memberlistConfig: MemberlistConfig, config: SerfConfig = SerfConfig(), tags: [String: String],
                random: RandomSource, now: Instant, keyring: Keyring? = nil) {
        self.config = config
        self.keyring = keyring
        self.tags = tags
        self.random = random
        eventRing = Array(repeating: nil, count: config.eventBuffer)
        queryRing = Array(repeating: nil, count: config.queryBuffer)
        nextReapAt = now.adding(nanoseconds: config.reapIntervalNanos)
        nextReconnectAt = now.adding(nanoseconds: config.reconnectIntervalNanos)
        vivaldi = VivaldiClient(seed: random.nextUInt64())
        memberlist = Memberlist(config: memberlistConfig, delegate: nil, random: random, now: now)
        memberlist.delegate = self
        memberlist.refreshLocalMeta()
        let me = memberlist.localNode
        membersByName[me.name] = SerfMember(name: me.name, addr: me.addr, port: me.port, tags: tags, status: .alive, vsn: me.vsn)
    }

    public var localName: String { memberlist.config.name }
    public var members: [SerfMember] { membersByName.values.sorted { $0.name < $1.name } }
    public var localMember: SerfMember { membersByName[localName]! }
    public var memberClock: UInt64 { clock.time }
    public var userEventClock: UInt64 { eventClock.time }
    public var queryLamportClock: UInt64 { queryClock.time }

    // MARK: Driver inputs

    public func receivePacket(_ bytes: [UInt8], from sender: SocketAddress, now: Instant) {
        memberlist.receivePacket(bytes, from: sender, now: now)
    }

    public func receiveStream(_ message: MemberlistMessage, from sender: SocketAddress, now: Instant) -> [UInt8]? {
        memberlist.receiveStream(message, from: sender, now: now)
    }

    public func streamFinished(id: UInt64, reply: MemberlistMessage?, error: String?, now: Instant) {
        memberlist.streamFinished(id: id, reply: reply, error: error, now: now)
    }

    public var nextDeadline: Instant {
        let deadline = min(memberlist.nextDeadline, nextReapAt, nextReconnectAt)
        guard let query = nextQueryDeadline else { return deadline }
        return min(deadline, query)
    }

    public func tick(now: Instant) {
        memberlist.tick(now: now)
        expireQueries(now: now)
        if now >= nextReapAt {
            nextReapAt = now.adding(nanoseconds: config.reapIntervalNanos)
            reap(now: now)
        }
        if now >= nextReconnectAt {
            nextReconnectAt = now.adding(nanoseconds: config.reconnectIntervalNanos)
            reconnect(now: now)
        }
    }

    /// Network actions, with application join outcomes; a successful application join first
    /// queues our join intent, as serf does.
    public func takeActions() -> [MemberlistAction] {
        var out = actions
        actions.removeAll()
        for action in memberlist.takeActions() {
            if case .joinFinished(let id, let joined, _) = action {
                guard applicationJoins.remove(id) != nil else { continue }
                if joined > 0 { broadcastJoinIntent() }
                ignoreOldEventsOnJoin = false
            }
            out.append(action)
        }
        return out
    }

    public func takeEvents() -> [SerfEvent] {
        defer { events.removeAll() }
        return events
    }

    // MARK: Application requests

    /// Joins through the given seeds; `ignoreOld` skips user events that predate us (Consul: true).
    @discardableResult
    public func join(_ addresses: [SocketAddress], ignoreOld: Bool, now: Instant) -> UInt64 {
        ignoreOldEventsOnJoin = ignoreOld
        let id = memberlist.join(addresses, now: now)
        applicationJoins.insert(id)
        return id
    }

    /// Step 1 of a graceful leave: the leave intent. The driver then waits until
    /// `pendingIntents` is 0 (bounded), calls `memberlist.leave`, and waits for its broadcasts.
    public func leave(now: Instant) {
        let intent = LeaveIntent(ltime: clock.time, node: localName)
        clock.increment()
        _ = handleLeaveIntent(intent, now: now)
        if memberlist.hasLivePeers { intentBroadcasts.enqueue(SerfCodec.encode(.leave(intent)), subject: localName) }
    }

    public var pendingIntents: Int { intentBroadcasts.count }

    /// `consul force-leave`: a failed member becomes left (and with `prune`, forgotten).
    public func forceLeave(_ node: String, prune: Bool, now: Instant) -> Bool {
        guard membersByName[node] != nil else { return false }
        let intent = LeaveIntent(ltime: clock.time, node: node, prune: prune)
        clock.increment()
        _ = handleLeaveIntent(intent, now: now)
        intentBroadcasts.enqueue(SerfCodec.encode(.leave(intent)), subject: node)
        return true
    }

    public func setTags(_ newTags: [String: String], now: Instant) {
        tags = newTags
        membersByName[localName]?.tags = newTags
        memberlist.updateMeta(now: now)
    }

    public enum UserEventError: Error, Equatable, CustomStringConvertible {
        case tooLarge(size: Int, limit: Int)
        public var description: String {
            switch self { case .tooLarge(let size, let limit): "user event exceeds configured limit of \(limit) bytes (\(size))" }
        }
    }

    public func userEvent(name: String, payload: [UInt8], coalesce: Bool, now: Instant) throws(UserEventError) {
        let size = name.utf8.count + payload.count
        guard size <= config.userEventSizeLimit else { throw .tooLarge(size: size, limit: config.userEventSizeLimit) }
        let message = UserEventMessage(ltime: eventClock.time, name: name, payload: payload, cc: coalesce)
        eventClock.increment()
        if handleUserEvent(message) { eventBroadcasts.enqueue(SerfCodec.encode(.userEvent(message)), subject: nil) }
    }

    func broadcastJoinIntent() {
        let intent = JoinIntent(ltime: clock.time, node: localName)
        clock.increment()
        _ = handleJoinIntent(intent, now: nil)
        intentBroadcasts.enqueue(SerfCodec.encode(.join(intent)), subject: localName)
    }

    // MARK: Housekeeping

    func reap(now: Instant) {
        for member in members where member.name != localName {
            guard let left = member.leaveTime else { continue }
            let age = now.nanos(since: left)
            let limit: UInt64
            switch member.status {
            case .failed: limit = reconnectTimeout(for: member)
            case .left: limit = config.tombstoneTimeoutNanos
            default: continue
            }
            if age > limit {
                membersByName[member.name] = nil
                vivaldi.forget(node: member.name)
                peerCoordinates[member.name] = nil
                events.append(.memberReap(member))
            }
        }
        recentIntents = recentIntents.filter { now.nanos(since: $0.value.at) <= config.recentIntentTimeoutNanos }
    }

    /// A client may advertise its own reconnect timeout in the `rc_tm` tag (a Go duration).
    func reconnectTimeout(for member: SerfMember) -> UInt64 {
        if let text = member.tags["rc_tm"], let nanos = parseSimpleDuration(text), nanos > 0 { return nanos }
        return config.reconnectTimeoutNanos
    }

    /// Try one random failed member again, so a healed partition merges without operator help.
    func reconnect(now: Instant) {
        let failed = members.filter { $0.status == .failed }
        guard !failed.isEmpty else { return }
        let pick = failed[Int(random.next(below: UInt64(failed.count)))]
        memberlist.join([pick.address], now: now)
    }
}

/// "72h0m0s", "30s", "1h", "500ms" → nanoseconds (enough of Go's duration grammar for rc_tm).
func parseSimpleDuration(_ text: String) -> UInt64? {
    var total: Double = 0
    var number = ""
    var unit = ""
    func flush() -> Bool {
        guard let value = Double(number) else { return false }
        let scale: Double
        switch unit {
        case "ns": scale = 1
        case "us", "µs": scale = 1e3
        case "ms": scale = 1e6
        case "s": scale = 1e9
        case "m": scale = 60e9
        case "h": scale = 3600e9
        default: return false
        }
        total += value * scale
        number = ""; unit = ""
        return true
    }
    for ch in text {
        if ch.isNumber || ch == "." {
            if !unit.isEmpty { guard flush() else { return nil } }
            number.append(ch)
        } else {
            unit.append(ch)
        }
    }
    if !number.isEmpty || !unit.isEmpty { guard flush() else { return nil } }
    return total > 0 && total < 1e19 ? UInt64(total) : nil
}
