import ConsulAPI

/// Sessions and KV locks (http-api.md §7): create/destroy/renew, acquire/release, and the
/// invalidation rules — node gone, a bound check critical or gone, TTL run out.
extension StateStore {
    func applySession(_ command: Command, at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        switch command {
        case .sessionCreate(let session): return createSession(session, at: index, woken: &woken)
        case .sessionDestroy(let id):
            invalidateSession(id, at: index, woken: &woken)
            return .bool(true)
        case .sessionRenew(let id):
            guard let s = sessions.byID[id] else { return .bool(false) }
            sessionTimers.renewed(id, now: monotonicNow())
            var json = JSONWriter()
            json.beginArray()
            s.write(to: &json)
            json.endArray()
            return .json(ok: true, body: json.bytes)
        case let .kvLock(key, value, flags, session):
            return lockKey(key, value: value, flags: flags, session: session, at: index, woken: &woken)
        case let .kvUnlock(key, value, flags, session):
            return unlockKey(key, value: value, flags: flags, session: session, at: index, woken: &woken)
        default:
            return .failure("not a session command")
        }
    }

    private func createSession(_ proposed: Session, at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        var s = proposed
        guard !s.id.isEmpty, sessions.byID[s.id] == nil else { return .failure("Session ID \"\(s.id)\" is not unique") }
        if let reason = sessionCheckFailure(s) { return .failure(reason) }
        s.lockDelay = min(s.lockDelay, Session.maxLockDelay)
        s.createIndex = index
        s.modifyIndex = index
        sessions.insert(s)
        sessions.index = index
        sessionTimers.renewed(s.id, now: monotonicNow())
        woken += watches.fire(.sessions)
        return .bool(true)
    }

    /// Why `s` may not exist (Consul's texts), or nil when its node and checks are healthy.
    private func sessionCheckFailure(_ s: Session) -> String? {
        guard catalog.nodes[s.node] != nil else { return "Missing node registration" }
        let checks = catalog.checks[s.node] ?? [:]
        for id in s.nodeChecks + s.serviceChecks.map(\.id) {
            guard let check = checks[id] else { return "Missing check '\(id)' registration" }
            if check.status == HealthStatus.critical { return "Check '\(id)' is in critical state" }
        }
        return nil
    }

    /// Destroys a session: each key it holds is released (value kept) or deleted, per its
    /// behavior, and gets the session's lock-delay on this replica's clock.
    func invalidateSession(_ id: String, at index: UInt64, woken: inout [() -> Void]) {
        guard let (session, keys) = sessions.remove(id) else { return }
        sessionTimers.forget(id)
        let delay = min(session.lockDelay, Session.maxLockDelay)
        let now = monotonicNow()
        for key in keys.sorted(by: bytesLess) {
            guard var entry = kv[key], entry.session == id else { continue }
            switch session.behavior {
            case .release:
                entry.session = ""
                entry.modifyIndex = index
                kv.upsert(entry)
                kvTableIndex = index
                woken += watches.fire(.kvKey(key))
            case .delete:
                deleteKey(key, at: index, woken: &woken)
            }
            if delay > 0 { sessionTimers.delayLock(key, until: now + delay) }
        }
        sessions.index = index
        woken += watches.fire(.sessions)
        deleteQueries(boundTo: id, at: index, woken: &woken)
    }

    /// After a catalog change on `nodes`: sessions whose node or bound checks are gone or critical die.
    func invalidateSessions(onNodes nodes: Set<String>, at index: UInt64, woken: inout [() -> Void]) {
        for node in nodes.sorted() {
            for s in sessions.on(node: node) where sessionCheckFailure(s) != nil {
                invalidateSession(s.id, at: index, woken: &woken)
            }
        }
    }

    private func lockKey(_ key: String, value: [UInt8], flags: UInt64, session: String, at index: UInt64,
                         woken: inout [() -> Void]) -> CommandResult {
        guard !session.isEmpty else { return .failure("missing session") }
        guard sessions.byID[session] != nil else { return .failure("invalid session \"\(session)\"") }
        var entry: KVPair
        if let existing = kv[key] {
            entry = existing
            if existing.session != session {
                guard existing.session.isEmpty else { return .bool(false) }
                entry.lockIndex += 1
                entry.session = session
            }
        } else {
            entry = KVPair(key: key, lockIndex: 1, session: session, createIndex: index)
        }
        entry.value = value
        entry.flags = flags
        entry.modifyIndex = index
        kv.upsert(entry)
        sessions.locked(key, by: session)
        tombstones[key] = nil
        kvTableIndex = index
        woken += watches.fire(.kvKey(key))
        return .bool(true)
    }

    private func unlockKey(_ key: String, value: [UInt8], flags: UInt64, session: String, at index: UInt64,
                           woken: inout [() -> Void]) -> CommandResult {
        guard !session.isEmpty else { return .failure("missing session") }
        guard var entry = kv[key], entry.session == session else { return .bool(false) }
        entry.session = ""
        entry.value = value
        entry.flags = flags
        entry.modifyIndex = index
        kv.upsert(entry)
        sessions.released(key, by: session)
        kvTableIndex = index
        woken += watches.fire(.kvKey(key))
        return .bool(true)
    }

    // MARK: Reads and timers

    public func session(_ id: String) -> Session? { sessions.byID[id] }
    public var allSessions: [Session] { sessions.all }
    public func sessions(onNode node: String) -> [Session] { sessions.on(node: node) }
    /// The index session reads report (1 before any session existed, as a blocking query needs > 0).
    public var sessionsIndex: UInt64 { max(sessions.index, 1) }

    /// Whether an acquire of `key` must fail now because a lost lock's delay has not run out.
    /// Checked by the leader before it proposes, never while applying (replicas' clocks differ).
    public func lockDelayed(_ key: String) -> Bool {
        sessionTimers.lockDelayed(key, now: monotonicNow())
    }

    /// Sessions whose TTL ran out: not renewed for twice their TTL (the leader then destroys them).
    public func expiredSessions() -> [String] {
        let now = monotonicNow()
        sessionTimers.pruneLockDelays(now: now)
        var expired: [String] = []
        for s in sessions.all {
            let ttl = s.ttlNanoseconds
            guard ttl > 0 else { continue }
            let since = sessionTimers.renewedAt[s.id] ?? now
            if sessionTimers.renewedAt[s.id] == nil { sessionTimers.renewed(s.id, now: now) }
            if now >= since && now - since > 2 * ttl { expired.append(s.id) }
        }
        return expired
    }

    /// A new leader gives every session a full TTL again (Consul resets its timers likewise).
    public func resetSessionTimers() {
        sessionTimers.resetAll(sessions.byID.keys, now: monotonicNow())
    }
}
