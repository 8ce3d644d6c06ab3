/// What a blocking query read, so that only writes touching it wake the query.
public enum WatchScope: Hashable, Sendable {
    /// One KV key exactly.
    case kvKey(String)
    /// Every KV key starting with the prefix.
    case kvPrefix(String)
    /// The list of nodes (any node added, removed or changed).
    case catalogNodes
    /// The list of service names and their tags.
    case catalogServices
    /// Instances of one service and everything their health depends on.
    case service(String)
    /// One node: its record, services and checks.
    case node(String)
    /// Any check's status (health/state).
    case checks
    /// Any session created, renewed away or invalidated.
    case sessions
    /// Any prepared query.
    case preparedQueries
    /// Any node's network coordinate.
    case coordinates
}

/// A registered waiter; cancel it when the query ends some other way (timeout, disconnect).
public struct WatchToken: Hashable, Sendable {
    let id: UInt64
}

/// Maps watched scopes to waiting callbacks. A change wakes exactly the waiters whose scope it
/// intersects (never a whole table — Consul's #4984), each at most once, after which the waiter
/// is forgotten: blocking queries re-run and register again if they keep waiting.
public struct WatchRegistry {
    private var nextID: UInt64 = 1
    private var callbacks: [UInt64: () -> Void] = [:]
    private var scopesByID: [UInt64: [WatchScope]] = [:]
    private var byKey: [String: Set<UInt64>] = [:]
    private var byPrefix: [UInt64: [String]] = [:]
    /// Catalog scopes match exactly.
    private var byScope: [WatchScope: Set<UInt64>] = [:]

    public init() {}

    public var count: Int { callbacks.count }

    public mutating func register(_ scopes: [WatchScope], _ callback: @escaping () -> Void) -> WatchToken {
        let id = nextID
        nextID += 1
        callbacks[id] = callback
        scopesByID[id] = scopes
        for scope in scopes {
            switch scope {
            case .kvKey(let k): byKey[k, default: []].insert(id)
            case .kvPrefix(let p): byPrefix[id, default: []].append(p)
            default: byScope[scope, default: []].insert(id)
            }
        }
        return WatchToken(id: id)
    }

    public mutating func cancel(_ token: WatchToken) { _ = remove(token.id) }

    /// Removes and returns the callbacks woken by a change to `scope`.
    mutating func fire(_ changed: WatchScope) -> [() -> Void] {
        var ids = Set<UInt64>()
        switch changed {
        case .kvKey(let key):
            if let set = byKey[key] { ids.formUnion(set) }
            for (id, prefixes) in byPrefix where prefixes.contains(where: { hasBytePrefix(key, $0) }) { ids.insert(id) }
        case .kvPrefix(let prefix):
            for (key, set) in byKey where hasBytePrefix(key, prefix) { ids.formUnion(set) }
            for (id, prefixes) in byPrefix
            where prefixes.contains(where: { hasBytePrefix(prefix, $0) || hasBytePrefix($0, prefix) }) { ids.insert(id) }
        default:
            if let set = byScope[changed] { ids.formUnion(set) }
        }
        return ids.sorted().compactMap { remove($0) }
    }

    /// Removes and returns every callback (a snapshot restore changes everything).
    mutating func fireAll() -> [() -> Void] {
        Array(callbacks.keys).sorted().compactMap { remove($0) }
    }

    private mutating func remove(_ id: UInt64) -> (() -> Void)? {
        guard let callback = callbacks.removeValue(forKey: id) else { return nil }
        for scope in scopesByID.removeValue(forKey: id) ?? [] {
            switch scope {
            case .kvKey(let k):
                byKey[k]?.remove(id)
                if byKey[k]?.isEmpty == true { byKey[k] = nil }
            case .kvPrefix:
                break
            default:
                byScope[scope]?.remove(id)
                if byScope[scope]?.isEmpty == true { byScope[scope] = nil }
            }
        }
        byPrefix[id] = nil
        return callback
    }
}
