import ConsulAPI
import Platform

/// The agent's own registrations, as the `/v1/agent/*` endpoints need them. The Agent module
/// implements it (it owns check runners and anti-entropy); handlers here only speak HTTP.
public protocol LocalAgent: AnyObject {
    /// The machine, for `/v1/agent/host` (nil: not available).
    func hostReport() -> HostReport?
    func localServices() -> [NodeService]
    func localChecks() -> [HealthCheck]
    /// Registers or replaces a service from its JSON definition (embedded checks included).
    /// Completes once the registration is durable (on agents that persist registrations).
    func registerService(_ definition: JSONValue, replaceExistingChecks: Bool, completion: @escaping (HTTPResponseError?) -> Void)
    func deregisterService(id: String, completion: @escaping (HTTPResponseError?) -> Void)
    func registerCheck(_ definition: JSONValue, completion: @escaping (HTTPResponseError?) -> Void)
    func deregisterCheck(id: String, completion: @escaping (HTTPResponseError?) -> Void)
    /// TTL check heartbeat (`pass`/`warn`/`fail`/`update`).
    func updateTTLCheck(id: String, status: String, output: String) -> HTTPResponseError?
    func setServiceMaintenance(id: String, enable: Bool, reason: String) -> HTTPResponseError?
    func setNodeMaintenance(enable: Bool, reason: String)
    /// Re-reads configuration files (off the loop) and applies them; completes on the loop.
    func reload(completion: @escaping (HTTPResponseError?) -> Void)
    /// `/v1/agent/monitor`: calls `line` with every log line at `level` or above until the
    /// returned token is cancelled; nil when `level` is not a log level.
    func watchLogs(level: String, _ line: @escaping (String) -> Void) -> UInt64?
    func cancelLogWatch(_ token: UInt64)
    /// Graceful leave: `completion` runs once the cluster was told, then the agent stops.
    func leave(completion: @escaping () -> Void)
    /// `/v1/agent/join/<addr>`: gossip join; nil on success.
    func join(address: String, wan: Bool, completion: @escaping (HTTPResponseError?) -> Void)
    /// `/v1/agent/force-leave/<node>`.
    func forceLeave(node: String, prune: Bool, wan: Bool) -> HTTPResponseError?
    /// Runs `wake` once after the next change to local services/checks; returns a cancel token.
    func watchLocalChanges(_ wake: @escaping () -> Void) -> UInt64
    func cancelLocalWatch(_ token: UInt64)
    /// `/v1/operator/keyring`: a gossip keyring query to every member; `key` is base64 (empty for
    /// list). Completes with one response per pool.
    func keyringOperation(_ kind: KeyringRequestKind, key: String, relayFactor: UInt8, localOnly: Bool,
                          completion: @escaping (Result<[KeyringPoolResponse], HTTPResponseError>) -> Void)
}
