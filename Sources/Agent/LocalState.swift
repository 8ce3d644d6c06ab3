import ConsulAPI

/// A running check the local state owns: stopped when the check goes away; TTL checks also
/// take heartbeats.
public protocol LocalCheckRunner: AnyObject {
    func start()
    func stop()
    /// Applies a TTL heartbeat; false when this is not a TTL check.
    func heartbeat(status: String, output: String) -> Bool
}

/// The agent's own services and checks — the source of truth that anti-entropy copies into
/// the catalog. Loop-confined.
public final class LocalState {
    public private(set) var services: [String: NodeService] = [:]
    public private(set) var checks: [String: HealthCheck] = [:]
    /// The JSON each check was defined with (persistence, reload comparison).
    public private(set) var checkDefinitions: [String: JSONValue] = [:]
    private var runners: [String: LocalCheckRunner] = [:]
    /// Called after every change (anti-entropy schedules a sync).
    public var onChange: () -> Void = {}
    /// Monotonic nanoseconds (the agent's clock), for how long a check has been critical.
    public var now: () -> UInt64 = { 0 }
    /// When each currently-critical check turned critical.
    public private(set) var criticalSince: [String: UInt64] = [:]

    /// One-shot waiters woken after the next change (hash-blocking `agent/service/<id>`).
    private var watchers: [UInt64: () -> Void] = [:]
    private var nextWatcher: UInt64 = 0

    public init() {}

    /// Registers `wake` to run once after the next change; returns a token for `cancelWatch`.
    public func watch(_ wake: @escaping () -> Void) -> UInt64 {
        nextWatcher += 1
        watchers[nextWatcher] = wake
        return nextWatcher
    }

    public func cancelWatch(_ token: UInt64) { watchers[token] = nil }

    public var watcherCount: Int { watchers.count }

    /// The change hook: anti-entropy first, then every waiter (each fires once).
    private func changed() {
        onChange()
        guard !watchers.isEmpty else { return }
        let woken = watchers
        watchers = [:]
        for (_, wake) in woken.sorted(by: { $0.key < $1.key }) { wake() }
    }

    public func addService(_ service: NodeService) {
        services[service.id] = service
        // Checks of the service carry its name and tags.
        for (id, var c) in checks where c.serviceID == service.id {
            c.serviceName = service.service
            c.serviceTags = service.tags
            checks[id] = c
        }
        changed()
    }

    public func removeService(_ id: String) {
        services[id] = nil
        for (checkID, c) in checks where c.serviceID == id { removeCheck(checkID, notify: false) }
        changed()
    }

    public func addCheck(_ check: HealthCheck, definition: JSONValue?, runner: LocalCheckRunner?) {
        runners.removeValue(forKey: check.checkID)?.stop()
        checks[check.checkID] = check
        checkDefinitions[check.checkID] = definition
        criticalSince[check.checkID] = check.status == "critical" ? now() : nil
        if let runner { runners[check.checkID] = runner }
        changed()
        runner?.start()
    }

    public func removeCheck(_ id: String, notify: Bool = true) {
        runners.removeValue(forKey: id)?.stop()
        checks[id] = nil
        checkDefinitions[id] = nil
        criticalSince[id] = nil
        if notify { changed() }
    }

    /// A runner's verdict. Unknown checks (removed meanwhile) are ignored.
    public func updateStatus(_ id: String, status: String, output: String) {
        guard var c = checks[id], c.status != status || c.output != output else { return }
        if status == "critical" && c.status != "critical" { criticalSince[id] = now() }
        if status != "critical" { criticalSince[id] = nil }
        c.status = status
        c.output = output
        checks[id] = c
        changed()
    }

    public func runner(for id: String) -> LocalCheckRunner? { runners[id] }

    public func stopAll() {
        for r in runners.values { r.stop() }
        runners = [:]
    }
}
