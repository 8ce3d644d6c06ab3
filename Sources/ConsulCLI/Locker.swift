import ConsulAPI
import ConsulClient
import Glibc

/// The Go API client's lock recipes over KV and sessions (agent.md §8.1), blocking, for
/// `consul lock`: a mutex on `<prefix>/.lock`, or a semaphore of `limit` holders under `<prefix>`.
protocol Locker {
    /// Waits for the lock until `deadline` (monotonic seconds; nil = forever) or a shutdown
    /// signal; false when neither produced it. Throws on conflicts and API errors.
    func acquire(deadline: Double?) throws -> Bool
    /// One monitoring step: a blocking read of at most `waitMilliseconds`; false once the lock is lost.
    func stillHeld(waitMilliseconds: Int) throws -> Bool
    func release() throws
    /// Removes the lock's keys when nobody else uses them.
    func cleanup() throws
}

/// How long one blocking read of a contended lock waits, and the pause after a refused acquire
/// (lock-delay), as the Go client does.
enum LockTiming {
    static let waitSeconds = 15
    static let retrySeconds = 5.0
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Sleeps in small steps so a shutdown signal or the deadline cuts it short.
func interruptibleSleep(_ seconds: Double, deadline: Double?) {
    let end = monotonicSeconds() + seconds
    while monotonicSeconds() < end && !ShutdownSignal.triggered {
        if let deadline, monotonicSeconds() >= deadline { return }
        usleep(50_000)
    }
}

private func waitSeconds(until deadline: Double?) -> Int {
    guard let deadline else { return LockTiming.waitSeconds }
    return max(1, min(LockTiming.waitSeconds, Int((deadline - monotonicSeconds()).rounded(.up))))
}

struct LockError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A single holder: `acquire` on `<prefix>/.lock` with the lock flag value.
final class MutexLocker: Locker {
    static let flagValue: UInt64 = 0x2ddccbc058a50c18
    let client: ConsulHTTPClient
    let key: String
    let session: String
    private var monitorIndex: UInt64 = 0

    init(client: ConsulHTTPClient, prefix: String, session: String) {
        self.client = client
        self.key = prefix + "/.lock"
        self.session = session
    }

    func acquire(deadline: Double?) throws -> Bool {
        var index: UInt64 = 0
        while !ShutdownSignal.triggered {
            if let deadline, monotonicSeconds() >= deadline { return false }
            let (pairs, newIndex) = try client.kvBlocking(key, index: index, waitSeconds: waitSeconds(until: deadline))
            if let pair = pairs.first {
                if pair.flags != MutexLocker.flagValue { throw LockError("Existing key does not match lock use") }
                if pair.session == session { monitorIndex = newIndex; return true }
                if !pair.session.isEmpty { index = newIndex; continue }
            }
            if try client.kvLock(key, session: session, value: [], flags: MutexLocker.flagValue) { return true }
            // Refused while free: a lock-delay is running. Retry after a pause.
            index = 0
            interruptibleSleep(LockTiming.retrySeconds, deadline: deadline)
        }
        return false
    }

    func stillHeld(waitMilliseconds: Int) throws -> Bool {
        let (pairs, newIndex) = try client.kvBlocking(key, index: monitorIndex, waitSeconds: 0, consistent: true,
                                                      waitMilliseconds: waitMilliseconds)
        monitorIndex = newIndex
        return pairs.first?.session == session
    }

    func release() throws {
        _ = try client.kvLock(key, session: session, value: [], flags: MutexLocker.flagValue, release: true)
    }

    func cleanup() throws {
        guard let pair = try client.kvGet(key), pair.flags == MutexLocker.flagValue, pair.session.isEmpty else { return }
        _ = try client.kvDelete(key, recurse: false, cas: pair.modifyIndex)
    }
}

/// Up to `limit` holders: each contender locks `<prefix>/<session>`; `<prefix>/.lock` records
/// `{"Limit":n,"Holders":{…}}`, changed only by check-and-set; holders whose contender key lost
/// its session are pruned.
final class SemaphoreLocker: Locker {
    static let flagValue: UInt64 = 0xe0f69a2baa414de0
    let client: ConsulHTTPClient
    let prefix: String
    let session: String
    let limit: Int
    private var monitorIndex: UInt64 = 0
    private var lockKey: String { prefix + "/.lock" }
    private var contenderKey: String { prefix + "/" + session }

    init(client: ConsulHTTPClient, prefix: String, session: String, limit: Int) {
        self.client = client
        self.prefix = prefix
        self.session = session
        self.limit = limit
    }

    func acquire(deadline: Double?) throws -> Bool {
        guard try client.kvLock(contenderKey, session: session, value: [], flags: SemaphoreLocker.flagValue) else {
            throw LockError("failed to make contender entry")
        }
        var index: UInt64 = 0
        while !ShutdownSignal.triggered {
            if let deadline, monotonicSeconds() >= deadline { return false }
            let (pairs, newIndex) = try client.kvBlocking(prefix, recurse: true, index: index, waitSeconds: waitSeconds(until: deadline))
            let (state, modifyIndex) = try decode(pairs)
            var holders = prune(state.holders, pairs: pairs)
            if holders.contains(session) { monitorIndex = newIndex; return true }
            if holders.count >= limit { index = newIndex; continue }
            holders.insert(session)
            if try client.kvPut(lockKey, value: encode(holders), flags: SemaphoreLocker.flagValue, cas: modifyIndex) {
                return true
            }
            index = 0
        }
        return false
    }

    func stillHeld(waitMilliseconds: Int) throws -> Bool {
        let (pairs, newIndex) = try client.kvBlocking(prefix, recurse: true, index: monitorIndex, waitSeconds: 0,
                                                      consistent: true, waitMilliseconds: waitMilliseconds)
        monitorIndex = newIndex
        return try decode(pairs).state.holders.contains(session)
    }

    func release() throws {
        for _ in 0..<10 {
            let pairs = try client.kvList(prefix)
            let (state, modifyIndex) = try decode(pairs)
            var holders = state.holders
            guard holders.remove(session) != nil else { break }
            if try client.kvPut(lockKey, value: encode(holders), flags: SemaphoreLocker.flagValue, cas: modifyIndex) { break }
        }
        _ = try client.kvDelete(contenderKey, recurse: false)
    }

    func cleanup() throws {
        let pairs = try client.kvList(prefix)
        guard let lock = pairs.first(where: { $0.key == lockKey }) else { return }
        let contenders = pairs.filter { $0.key != lockKey && !$0.session.isEmpty }
        guard contenders.isEmpty, try decode(pairs).state.holders.isEmpty else { return }
        _ = try client.kvDelete(lockKey, recurse: false, cas: lock.modifyIndex)
    }

    // MARK: The `.lock` document

    private struct State { var holders: Set<String> }

    /// The recorded holders and the CAS index to write with (0 when the key does not exist yet).
    private func decode(_ pairs: [KVPair]) throws -> (state: State, modifyIndex: UInt64) {
        guard let pair = pairs.first(where: { $0.key == lockKey }) else { return (State(holders: []), 0) }
        if pair.flags != SemaphoreLocker.flagValue { throw LockError("Existing key does not match semaphore use") }
        guard let json = try? JSONParser.parse(pair.value) else { throw LockError("Failed to decode semaphore lock") }
        let recorded = json.member("Limit")?.int64Value.map(Int.init) ?? limit
        if recorded != limit { throw LockError("Semaphore limit conflict (lock: \(recorded), local: \(limit))") }
        let holders = Set(json.member("Holders")?.objectValue?.map(\.0) ?? [])
        return (State(holders: holders), pair.modifyIndex)
    }

    /// Holders whose contender key is still locked by their session.
    private func prune(_ holders: Set<String>, pairs: [KVPair]) -> Set<String> {
        let live = Set(pairs.filter { $0.key != lockKey && !$0.session.isEmpty }.map(\.session))
        return holders.filter { live.contains($0) }
    }

    private func encode(_ holders: Set<String>) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("Limit", limit)
        json.key("Holders")
        json.beginObject()
        for h in holders.sorted() { json.field(h, true) }
        json.endObject()
        json.endObject()
        return json.finish()
    }
}
