import Wire
import ConsulAPI
import ConsulState

/// The consistency mode a read asked for (`?stale`, `?consistent`, or neither).
public enum Consistency: Sendable {
    case `default`, consistent, stale
}

/// Why the state behind the API could not serve a request; rendered as Consul renders RPC errors.
public enum BackendError: Error, Equatable, Sendable {
    case noLeader
    case other(String)

    public var message: String {
        switch self {
        case .noLeader: return "No cluster leader"
        case .other(let text): return text
        }
    }
}

/// Leadership facts that every read reports in `X-Consul-KnownLeader` / `X-Consul-LastContact`.
public struct QueryMeta: Equatable, Sendable {
    public var knownLeader: Bool
    public var lastContactMilliseconds: UInt64
    public init(knownLeader: Bool, lastContactMilliseconds: UInt64) {
        self.knownLeader = knownLeader
        self.lastContactMilliseconds = lastContactMilliseconds
    }
}

/// What the handlers need from the server side. In dev mode the agent applies commands to its
/// own store at once; with Raft, `apply` completes after commit and `prepareRead` after the
/// consistency mode's leadership check. Both complete on the loop thread.
public protocol ConsulBackend: AnyObject {
    /// The local replica of the state, read on the loop thread.
    var store: StateStore { get }
    func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void)
    func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void)
}

/// One gossip member as `/v1/agent/members` and `consul members` show it.
public struct MemberInfo: Equatable, Sendable {
    public var name: String
    public var address: String
    public var port: Int
    public var tags: [(String, String)]
    /// 0 none, 1 alive, 2 leaving, 3 left, 4 failed (serf's numbering).
    public var status: Int

    public init(name: String, address: String, port: Int, tags: [(String, String)], status: Int) {
        self.name = name
        self.address = address
        self.port = port
        self.tags = tags
        self.status = status
    }

    public static func == (a: MemberInfo, b: MemberInfo) -> Bool {
        a.name == b.name && a.address == b.address && a.port == b.port && a.status == b.status
            && a.tags.count == b.tags.count && zip(a.tags, b.tags).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// What the local agent says about itself (`/v1/agent/self`, `/v1/status/*`, `/v1/agent/members`).
public protocol AgentView: AnyObject {
    var nodeName: String { get }
    var nodeID: String { get }
    var datacenter: String { get }
    var isServer: Bool { get }
    /// `ip:port` of the Raft leader, empty when none is known.
    var leaderAddress: String { get }
    /// `ip:port` of each Raft voter.
    var raftPeers: [String] { get }
    var localMember: MemberInfo { get }
    var lanMembers: [MemberInfo] { get }
    /// The WAN pool (`<node>.<dc>` names); empty on clients.
    var wanMembers: [MemberInfo] { get }
    /// Our datacenter first, then every other one the WAN pool knows.
    var knownDatacenters: [String] { get }
    /// This agent's LAN coordinate (nil before gossip runs).
    var localCoordinate: NodeCoordinate? { get }
    /// LAN coordinates known here: ours and every member's last reported one.
    var lanCoordinates: [NodeCoordinate] { get }
    /// WAN coordinates of servers, grouped by datacenter.
    var wanCoordinates: [(String, [NodeCoordinate])] { get }
    /// Configuration echoed under `DebugConfig` (a flat, free-form map).
    var debugConfig: [(String, String)] { get }
    /// `Stats` sections of `/v1/agent/self` (`consul info`): section → key/value pairs. A section
    /// named `agent` or `build` replaces the built-in one.
    var stats: [(section: String, values: [(String, String)])] { get }
}

extension AgentView {
    public var stats: [(section: String, values: [(String, String)])] { [] }
}

/// Tunables of the HTTP API, with Consul's defaults.
public struct APIConfig: Sendable {
    public var kvMaxValueSize = 524_288
    /// `limits.txn_max_req_len`: the largest `/v1/txn` body (Consul: 512 KiB).
    public var txnMaxRequestBytes = 524_288
    public var defaultQueryTimeNanoseconds: UInt64 = 300 * 1_000_000_000
    public var maxQueryTimeNanoseconds: UInt64 = 600 * 1_000_000_000
    /// Dev mode pretty-prints every JSON response, as Consul does.
    public var prettyByDefault = false
    public var uiEnabled = false
    /// Where the UI is served (`ui_config.content_path`), with leading and trailing slashes.
    public var uiContentPath = "/ui/"
    /// `session_ttl_min`: the shortest session TTL accepted (Consul: 10s).
    public var sessionTTLMinNanoseconds: Int64 = Session.minTTL
    /// `http_config.response_headers`.
    public var responseHeaders: [(String, String)] = []
    /// `http_config.allow_write_http_from`: writes from elsewhere get 403 (empty: no limit).
    public var allowWriteFrom: [IPNetwork] = []
    /// `ui_config.dir`: the UI's files read at start-up (relative path, bytes) to serve instead
    /// of the embedded copy; nil serves the embedded one.
    public var uiFiles: [(path: String, bytes: [UInt8])]?
    /// `telemetry.prometheus_retention_time`: 0 leaves `?format=prometheus` off, as Consul.
    public var prometheusRetentionNanoseconds: UInt64 = 0
    public init() {}
}

extension AgentView {
    public var wanMembers: [MemberInfo] { [] }
    public var knownDatacenters: [String] { [datacenter] }
    public var localCoordinate: NodeCoordinate? { nil }
    public var lanCoordinates: [NodeCoordinate] { [] }
    public var wanCoordinates: [(String, [NodeCoordinate])] { [] }
}
