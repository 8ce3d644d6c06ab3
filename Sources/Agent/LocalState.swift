import ConsulAPI

/// A running check the local state owns: stopped when the check goes away; TTL checks also
/// take heartbeats.
public protocol LocalCheckRunner: AnyObject {
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

    public init() {}

    public func addService(_ service: NodeService) {
        services[service.id] = service
        // Checks of the service carry its name and tags.
        for (id, var c) in checks where c.serviceID == service.id {
            c.serviceName = service.service
            c.serviceTags = service.tags
            checks[id] = c
        }
        onChange()
    }

    public func removeService(_ id: String) {
        services[id] = nil
        for (checkID, c) in checks where c.serviceID == id { removeCheck(checkID, notify: false) }
        onChange()
    }

    public func addCheck(_ check: HealthCheck, definition: JSONValue?, runner: LocalCheckRunner?) {
        runners.removeValue(forKey: check.checkID)?.stop()
        checks[check.checkID] = check
        checkDefinitions[check.checkID] = definition
        if let runner { runners[check.checkID] = runner }
        onChange()
    }

    public func removeCheck(_ id: String, notify: Bool = true) {
        runners.removeValue(forKey: id)?.stop()
        checks[id] = nil
        checkDefinitions[id] = nil
        if notify { onChange() }
    }

    /// A runner's verdict. Unknown checks (removed meanwhile) are ignored.
    public func updateStatus(_ id: String, status: String, output: String) {
        guard var c = checks[id], c.status != status || c.output != output else { return }
        c.status = status
        c.output = output
        checks[id] = c
        onChange()
    }

    public func runner(for id: String) -> LocalCheckRunner? { runners[id] }

    public func stopAll() {
        for r in runners.values { r.stop() }
        runners = [:]
    }
}
