import ConsulAPI
import HTTP1

/// What the `/v1/operator/raft/*` and `/v1/operator/autopilot/*` endpoints need from a server.
/// The Agent module implements it over its Raft node; handlers here only parse and render.
public protocol OperatorAgent: AnyObject {
    /// Decides where an operator request runs: `.local` when this server leads (or `allowStale`
    /// lets any server answer), otherwise the leader's answer to the forwarded request, or
    /// Consul's error once `rpc_hold_timeout` passed without a leader.
    func routeOperatorRequest(_ request: HTTPRequest, allowStale: Bool, completion: @escaping (OperatorRoute) -> Void)
    /// The Raft configuration as this server sees it.
    func raftConfiguration() -> RaftConfigurationInfo
    /// Removes a server from the Raft configuration; nil once the change committed.
    func removeRaftPeer(_ peer: RaftPeerSelector, completion: @escaping (HTTPResponseError?) -> Void)
    /// Hands leadership to `id` (nil: the most up-to-date other voter); nil once it moved.
    func transferLeadership(to id: String?, completion: @escaping (HTTPResponseError?) -> Void)
    var autopilotConfiguration: AutopilotConfiguration { get }
    /// Stores `configuration`; with `cas`, only when it equals the current `modifyIndex`.
    /// Stores the settings through Raft (with `cas`, only if unchanged since); completes with
    /// whether they were stored, or the error that prevented it.
    func setAutopilotConfiguration(_ configuration: AutopilotConfiguration, cas: UInt64?,
                                   completion: @escaping (Result<Bool, HTTPResponseError>) -> Void)
    /// Autopilot's view of every server (health, failure tolerance).
    func autopilotHealth() -> AutopilotHealthInfo
    /// A snapshot archive of the replicated state as applied here, and its index.
    func saveSnapshot(completion: @escaping (Result<(index: UInt64, archive: [UInt8]), HTTPResponseError>) -> Void)
    /// Verifies an archive whole, then restores it through Raft; nil once applied here.
    func restoreSnapshot(_ archive: [UInt8], completion: @escaping (HTTPResponseError?) -> Void)
}

public enum OperatorRoute {
    case local
    case answered(HTTPResponse)
}

public enum RaftPeerSelector: Equatable, Sendable {
    case id(String)
    case address(String)
}

/// One server of `GET /v1/operator/raft/configuration`.
public struct RaftServerInfo: Equatable, Sendable {
    public var id: String
    public var node: String
    public var address: String
    public var leader: Bool
    public var voter: Bool
    public var protocolVersion: String
    public var lastIndex: UInt64

    public init(id: String, node: String, address: String, leader: Bool, voter: Bool, protocolVersion: String = "3",
                lastIndex: UInt64) {
        self.id = id
        self.node = node
        self.address = address
        self.leader = leader
        self.voter = voter
        self.protocolVersion = protocolVersion
        self.lastIndex = lastIndex
    }
}

public struct RaftConfigurationInfo: Equatable, Sendable {
    public var servers: [RaftServerInfo]
    /// Raft index of the configuration entry in effect.
    public var index: UInt64
    public init(servers: [RaftServerInfo], index: UInt64) {
        self.servers = servers
        self.index = index
    }
}

/// Autopilot settings with Consul's defaults (agent.md §7.4).
public struct AutopilotConfiguration: Equatable, Sendable {
    public var cleanupDeadServers = true
    public var lastContactThresholdNanos: Int64 = 200_000_000
    public var maxTrailingLogs: UInt64 = 250
    public var minQuorum: UInt64 = 0
    public var serverStabilizationTimeNanos: Int64 = 10_000_000_000
    public var redundancyZoneTag = ""
    public var disableUpgradeMigration = false
    public var upgradeVersionTag = ""
    public var createIndex: UInt64 = 0
    public var modifyIndex: UInt64 = 0
    public init() {}
}

/// One server as autopilot sees it (`/v1/operator/autopilot/health` and `/state`).
public struct AutopilotServerInfo: Equatable, Sendable {
    public var id: String
    public var name: String
    public var address: String
    /// Gossip status: alive, leaving, left, failed, none.
    public var serfStatus: String
    public var version: String
    public var leader: Bool
    public var voter: Bool
    public var lastContactNanos: Int64
    public var lastTerm: UInt64
    public var lastIndex: UInt64
    public var healthy: Bool
    /// Unix nanoseconds since which `healthy` has held.
    public var stableSinceUnixNanos: Int64

    public init(id: String, name: String, address: String, serfStatus: String, version: String, leader: Bool, voter: Bool,
                lastContactNanos: Int64, lastTerm: UInt64, lastIndex: UInt64, healthy: Bool, stableSinceUnixNanos: Int64) {
        self.id = id
        self.name = name
        self.address = address
        self.serfStatus = serfStatus
        self.version = version
        self.leader = leader
        self.voter = voter
        self.lastContactNanos = lastContactNanos
        self.lastTerm = lastTerm
        self.lastIndex = lastIndex
        self.healthy = healthy
        self.stableSinceUnixNanos = stableSinceUnixNanos
    }

    /// Autopilot's state name: leader, voter or non-voter.
    public var status: String { leader ? "leader" : voter ? "voter" : "non-voter" }
}

public struct AutopilotHealthInfo: Equatable, Sendable {
    public var healthy: Bool
    public var failureTolerance: Int
    public var optimisticFailureTolerance: Int
    /// Leader's server ID; empty when none is known.
    public var leader: String
    public var voters: [String]
    public var servers: [AutopilotServerInfo]

    public init(healthy: Bool, failureTolerance: Int, optimisticFailureTolerance: Int, leader: String, voters: [String],
                servers: [AutopilotServerInfo]) {
        self.healthy = healthy
        self.failureTolerance = failureTolerance
        self.optimisticFailureTolerance = optimisticFailureTolerance
        self.leader = leader
        self.voters = voters
        self.servers = servers
    }
}

extension AutopilotConfiguration {
    /// The settings as the operator API writes them (how they are kept in Raft).
    public var encodedJSON: [UInt8] {
        var json = JSONWriter()
        OperatorEndpoint.write(self, &json)
        return json.finish()
    }

    /// Settings read back from `encodedJSON` (nil if unreadable).
    public static func decode(json: [UInt8]) -> AutopilotConfiguration? {
        try? OperatorEndpoint.decodeAutopilot(json).get()
    }
}
