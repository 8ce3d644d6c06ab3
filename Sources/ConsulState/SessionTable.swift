import ConsulAPI

/// Sessions by ID and by node, and which keys each one holds locked (so invalidation never
/// scans the KV store).
struct SessionTable {
    private(set) var byID: [String: Session] = [:]
    private(set) var byNode: [String: Set<String>] = [:]
    private(set) var heldKeys: [String: Set<String>] = [:]
    /// Index of the last session created or invalidated.
    var index: UInt64 = 0

    mutating func insert(_ s: Session) {
        byID[s.id] = s
        byNode[s.node, default: []].insert(s.id)
    }

    mutating func remove(_ id: String) -> (session: Session, keys: Set<String>)? {
        guard let s = byID.removeValue(forKey: id) else { return nil }
        byNode[s.node]?.remove(id)
        if byNode[s.node]?.isEmpty == true { byNode[s.node] = nil }
        return (s, heldKeys.removeValue(forKey: id) ?? [])
    }

    mutating func locked(_ key: String, by session: String) { heldKeys[session, default: []].insert(key) }

    mutating func released(_ key: String, by session: String) {
        heldKeys[session]?.remove(key)
        if heldKeys[session]?.isEmpty == true { heldKeys[session] = nil }
    }

    mutating func rebuildHeldKeys<S: Sequence>(from pairs: S) where S.Element == KVPair {
        heldKeys = [:]
        for p in pairs where !p.session.isEmpty { heldKeys[p.session, default: []].insert(p.key) }
    }

    /// Sessions in ID order (Consul lists them by its ID index).
    var all: [Session] { byID.keys.sorted().map { byID[$0]! } }

    func on(node: String) -> [Session] { (byNode[node] ?? []).sorted().map { byID[$0]! } }
}

/// What each replica measures on its own clock: TTL clocks (last create/renew) and the
/// lock-delay windows of keys whose lock was lost to an invalidation. Consul keeps both in
/// memory and off the log; a new leader restarts every TTL clock.
struct SessionTimers {
    private(set) var renewedAt: [String: UInt64] = [:]
    private(set) var lockDelayUntil: [String: UInt64] = [:]

    mutating func renewed(_ id: String, now: UInt64) { renewedAt[id] = now }
    mutating func forget(_ id: String) { renewedAt[id] = nil }

    mutating func resetAll<S: Sequence>(_ ids: S, now: UInt64) where S.Element == String {
        renewedAt = [:]
        for id in ids { renewedAt[id] = now }
    }

    mutating func delayLock(_ key: String, until: UInt64) {
        lockDelayUntil[key] = max(lockDelayUntil[key] ?? 0, until)
    }

    func lockDelayed(_ key: String, now: UInt64) -> Bool {
        guard let until = lockDelayUntil[key] else { return false }
        return now < until
    }

    mutating func pruneLockDelays(now: UInt64) {
        lockDelayUntil = lockDelayUntil.filter { $0.value > now }
    }
}
