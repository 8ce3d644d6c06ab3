import ConsulAPI

/// What an alias check watches: a service (by ID) on this agent, or on another node.
public struct AliasTarget: Equatable, Sendable {
    /// "" = this agent's local state; otherwise the node whose catalog checks are watched.
    public var node: String
    public var serviceID: String
    public init(node: String, serviceID: String) { self.node = node; self.serviceID = serviceID }
}

/// One check as the alias sees it.
public struct AliasedCheck: Equatable, Sendable {
    public var node: String
    public var checkID: String
    public var name: String
    public var status: String
    public var output: String
    public var serviceID: String
    public init(node: String, checkID: String, name: String, status: String, output: String, serviceID: String) {
        self.node = node
        self.checkID = checkID
        self.name = name
        self.status = status
        self.output = output
        self.serviceID = serviceID
    }
}

/// The target's state at one moment: the node's checks (node-level and per-service; the alias
/// filters), whether the aliased service exists, or why it could not be read.
public struct AliasSnapshot: Equatable, Sendable {
    public var checks: [AliasedCheck]
    public var serviceExists: Bool
    /// Set when a remote node could not be queried (`Failure checking aliased node or service: …`).
    public var error: String?
    public init(checks: [AliasedCheck], serviceExists: Bool, error: String? = nil) {
        self.checks = checks
        self.serviceExists = serviceExists
        self.error = error
    }
}

/// Ends a watch.
public protocol AliasSubscription: AnyObject {
    func cancel()
}

/// How alias checks observe their target. The agent implements it over its local state (node
/// "") and blocking catalog reads (another node): `onChange` runs on the loop with the current
/// snapshot soon after `watch` and again whenever the target's checks may have changed.
public typealias AliasSource = (_ target: AliasTarget, _ onChange: @escaping (AliasSnapshot) -> Void) -> AliasSubscription

/// Alias check: mirrors the worst status of the aliased service's checks (and its node's
/// node-level checks). Reports skip the thresholds, as in Consul.
final class AliasCheckRunner: CheckRunner {
    let checkID: String
    let target: AliasTarget
    private let source: AliasSource?
    private let report: (CheckStatusUpdate) -> Void
    private var subscription: AliasSubscription?
    private var stopped = false

    init(checkID: String, target: AliasTarget, source: AliasSource?, report: @escaping (CheckStatusUpdate) -> Void) {
        self.checkID = checkID
        self.target = target
        self.source = source
        self.report = report
    }

    func start() {
        guard subscription == nil, !stopped else { return }
        guard let source else {
            report(CheckStatusUpdate(checkID: checkID, status: "critical", output: "Alias checks are not supported by this agent"))
            return
        }
        subscription = source(target) { [weak self] snapshot in
            guard let self, !self.stopped else { return }
            let verdict = AliasCheckRunner.evaluate(snapshot, target: self.target, selfCheckID: self.checkID)
            self.report(CheckStatusUpdate(checkID: self.checkID, status: verdict.status, output: verdict.output))
        }
    }

    func stop() {
        stopped = true
        subscription?.cancel()
        subscription = nil
    }

    /// Consul's `processChecks`: a critical check wins at once, a warning unless a critical
    /// follows; no matching check is passing "No checks found." unless the service is missing.
    static func evaluate(_ snapshot: AliasSnapshot, target: AliasTarget, selfCheckID: String = "") -> (status: String, output: String) {
        if let error = snapshot.error {
            return ("critical", "Failure checking aliased node or service: \(error)")
        }
        var health = "passing"
        var message = "No checks found."
        var serviceFound = false
        for check in snapshot.checks {
            if !target.node.isEmpty && target.node != check.node { continue }
            if target.node.isEmpty && check.checkID == selfCheckID { continue }
            let serviceMatch = check.serviceID == target.serviceID
            if !check.serviceID.isEmpty && !serviceMatch { continue }
            if serviceMatch { serviceFound = true }
            if check.status == "critical" || check.status == "warning" {
                health = check.status
                message = "Aliased check \(goQuoted(check.name)) failing: \(check.output)"
                if check.status == "critical" { break }
            } else if health == "passing" {
                message = "All checks passing."
            }
        }
        if !serviceFound && !snapshot.serviceExists {
            return ("critical", "Service \(target.serviceID) could not be found on node \(target.node)")
        }
        return (health, message)
    }
}
