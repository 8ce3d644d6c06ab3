import ConsulAPI

/// The agent's effective configuration after defaults, `-dev`, config files and flags are merged.
public struct AgentConfig: Equatable, Sendable {
    public var nodeName = ""
    /// Empty means "generate one, or reuse `<data-dir>/node-id`".
    public var nodeID = ""
    public var datacenter = "dc1"
    public var dataDir = ""
    public var devMode = false
    public var server = false
    public var bootstrap = false
    public var bootstrapExpect = 0
    public var bindAddr = "0.0.0.0"
    public var advertiseAddr = ""
    public var clientAddrs = ["127.0.0.1"]
    /// `addresses.http` / `addresses.dns`: where those listeners bind instead of `client_addr`.
    public var httpAddrs: [String]?
    public var dnsAddrs: [String]?
    public var effectiveHTTPAddrs: [String] { httpAddrs ?? clientAddrs }
    public var effectiveDNSAddrs: [String] { dnsAddrs ?? clientAddrs }
    public var ports = Ports()
    public var logLevel = "INFO"
    public var logging = LogConfig()
    public var telemetry = TelemetryConfig()
    /// `pid_file` / `-pid-file`: the agent's PID is written here at start and removed at exit.
    public var pidFile = ""
    public var uiEnabled = false
    /// `ui_config.content_path`: where the UI is served, always with leading and trailing `/`.
    public var uiContentPath = "/ui/"
    /// `node_meta` / `-node-meta`: the node's own metadata in the catalog (DNS TXT, filters).
    public var nodeMeta: [String: String] = [:]
    /// The `autopilot` stanza: the settings a new cluster's first leader stores in Raft (an
    /// operator changes them later with `consul operator autopilot set-config`), Consul's defaults.
    public var autopilot = AutopilotSettings()
    public struct AutopilotSettings: Equatable, Sendable {
        public var cleanupDeadServers = true
        public var lastContactThresholdNanoseconds: UInt64 = 200_000_000
        public var maxTrailingLogs = 250
        public var minQuorum = 0
        public var serverStabilizationTimeNanoseconds: UInt64 = 10_000_000_000
        public var redundancyZoneTag = ""
        public var disableUpgradeMigration = false
        public var upgradeVersionTag = ""
        public init() {}
    }
    /// `limits.http_max_conns_per_client`: concurrent HTTP connections per client IP (Consul:
    /// 200; 0 = unlimited).
    public var httpMaxConnsPerClient = 200
    /// `disable_keyring_file`: the gossip keyring is `encrypt` alone, never read from or
    /// written to `<data-dir>/serf/local.keyring`.
    public var disableKeyringFile = false
    /// `session_ttl_min`: the shortest session TTL the servers accept (Consul: 10s).
    public var sessionTTLMinNanoseconds: UInt64 = 10_000_000_000
    /// `check_output_max_size`: bytes of a check's output kept (Consul: 4096).
    public var checkOutputMaxSize = 4096
    /// `raft_snapshot_threshold` (entries applied between snapshots) and `raft_trailing_logs`
    /// (entries kept after one), Consul's defaults.
    public var raftSnapshotThreshold = 16384
    public var raftTrailingLogs = 10240
    /// `reconnect_timeout` / `reconnect_timeout_wan`: how long a failed member is retried
    /// before it is reaped (Consul: 72h, at least 8h).
    public var reconnectTimeoutNanoseconds: UInt64 = 72 * 3_600_000_000_000
    public var reconnectTimeoutWANNanoseconds: UInt64 = 72 * 3_600_000_000_000
    /// `retry_interval_wan` / `retry_max_wan`.
    public var retryIntervalWANNanoseconds: UInt64 = 30_000_000_000
    public var retryMaxWAN = 0
    /// `http_config.response_headers`: added to every HTTP answer (a handler's own win).
    public var httpResponseHeaders: [String: String] = [:]
    /// `http_config.allow_write_http_from` / `-allow-write-http-from`: CIDRs writes may come from
    /// (empty: anywhere) — the one access control an ACL-free agent has.
    public var allowWriteHTTPFrom: [String] = []
    /// `ui_config.dir`: serve the UI from this directory instead of the embedded copy.
    public var uiDir = ""
    /// The UI is served when enabled or when a directory is given (as Consul).
    public var servesUI: Bool { uiEnabled || !uiDir.isEmpty }
    public var kvMaxValueSize = 524_288
    /// `limits.txn_max_req_len`: the largest `/v1/txn` request body.
    public var txnMaxReqLen = 524_288
    public var defaultQueryTimeNanoseconds: UInt64 = 300_000_000_000
    public var maxQueryTimeNanoseconds: UInt64 = 600_000_000_000
    public var leaveOnTerminate: Bool?
    public var skipLeaveOnInterrupt: Bool?
    public var retryJoin: [String] = []
    /// `retry_interval` / `-retry-interval`: wait between join attempts.
    public var retryIntervalNanoseconds: UInt64 = 30_000_000_000
    /// `retry_max` / `-retry-max`: attempts before giving up (0 = forever).
    public var retryMax = 0
    /// `retry_join_wan` / `-retry-join-wan` / `-join-wan`: servers of other datacenters.
    public var retryJoinWAN: [String] = []
    /// `rejoin_after_leave` / `-rejoin`: rejoin from the serf snapshot even after a graceful leave.
    public var rejoinAfterLeave = false
    /// `encrypt` / `-encrypt`: base64 gossip key (16, 24 or 32 bytes); validated, seeds the
    /// keyring file on first start only.
    public var encryptKey = ""
    /// `encrypt_verify_incoming` / `encrypt_verify_outgoing`: refuse plaintext / send sealed.
    public var encryptVerifyIncoming = true
    public var encryptVerifyOutgoing = true
    /// The gossip keyring the agent starts with, primary first (raw keys). Filled by the
    /// composition root from `<data-dir>/serf/local.keyring` or `encrypt`; empty = no encryption.
    public var gossipKeys: [[UInt8]] = []
    /// Service definitions from config files (singular `service` and plural `services`), in
    /// load order, as raw JSON objects for the agent's own decoder.
    public var services: [JSONValue] = []
    /// `enable_script_checks` / `enable_local_script_checks`: script checks may run (both allow
    /// the local API and config files, which are the only sources this agent has).
    public var enableScriptChecks = false
    /// `disable_remote_exec`: `consul exec` jobs are ignored (Consul ≥ 0.8 defaults to true).
    public var disableRemoteExec = true
    /// `performance.raft_multiplier` (1–10): scales Raft's timeouts; Consul's default is 5.
    public var raftMultiplier = 5
    /// Check definitions from config files (`check` and `checks`), in load order, raw.
    public var checks: [JSONValue] = []
    /// `watches`: raw watch definitions in load order, validated at load (`AgentWatchDefinition`).
    public var watches: [JSONValue] = []
    /// Keys Consul knows that this build accepts but does not act on yet (reported at start).
    public var ignoredKeys: [String] = []
    /// Warnings Consul gives for legal but risky settings (bootstrap mode, an even
    /// bootstrap_expect, node names DNS cannot serve), logged at start-up.
    public var warnings: [String] = []
    /// `domain`: the DNS zone the agent answers for (as written; the DNS module normalizes it).
    public var domain = "consul."
    /// `alt_domain` / `-alt-domain`: a second zone answered like `domain` ("" = none).
    public var altDomain = ""
    /// `recursors` / `-recursor`: upstream resolvers as `ip:port` (port 53 added), deduplicated.
    public var recursors: [String] = []
    /// `dns_config`.
    public var dns = DNSSettings()

    /// The `dns_config` keys that change answers.
    public struct DNSSettings: Equatable, Sendable {
        public var onlyPassing = false
        public var nodeTTLSeconds: UInt32 = 0
        public var serviceTTLSeconds: [String: UInt32] = [:]
        public var udpAnswerLimit = 3
        public var aRecordLimit = 0
        public var enableTruncate = false
        public var allowStale = true
        public var maxStaleNanoseconds: UInt64 = 87_600 * 3_600_000_000_000
        public var recursorTimeoutNanoseconds: UInt64 = 2_000_000_000
        public var disableCompression = false
        /// `use_cache` / `cache_max_age`: a client agent may answer from answers it got from the
        /// servers for this long (0: Consul's default of always asking).
        public var useCache = false
        public var cacheMaxAgeNanoseconds: UInt64 = 0
        /// `enable_additional_node_meta_txt`: node meta as TXT in the additional section.
        public var nodeMetaTXT = true
        /// `soa { refresh, retry, expire, min_ttl }` (seconds), Consul's defaults.
        public var soaRefresh: UInt32 = 3600
        public var soaRetry: UInt32 = 600
        public var soaExpire: UInt32 = 86400
        public var soaMinTTL: UInt32 = 0
        /// `recursor_strategy`: "sequential" (default) or "random".
        public var recursorStrategy = "sequential"
        public init() {}
    }

    public struct Ports: Equatable, Sendable {
        public var http = 8500
        public var https = -1
        public var dns = 8600
        public var serfLan = 8301
        public var serfWan = 8302
        public var server = 8300
        public var grpc = -1
        public var grpcTLS = -1
        public init() {}
    }

    public init() {}

    /// SIGTERM leaves gracefully: clients by default, servers only when configured.
    public var effectiveLeaveOnTerminate: Bool { leaveOnTerminate ?? !server }
    /// SIGINT skips the graceful leave: servers by default.
    public var effectiveSkipLeaveOnInterrupt: Bool { skipLeaveOnInterrupt ?? server }

    /// The address other agents reach this one at (advertise, else bind when it is not ANY).
    public var effectiveAdvertiseAddr: String {
        if !advertiseAddr.isEmpty { return advertiseAddr }
        if bindAddr != "0.0.0.0" && bindAddr != "::" { return bindAddr }
        return "127.0.0.1"
    }
}

/// One source's settings; nil fields leave earlier sources' values alone.
public struct ConfigLayer: Equatable, Sendable {
    public var nodeName: String?
    public var nodeID: String?
    public var datacenter: String?
    public var dataDir: String?
    public var server: Bool?
    public var bootstrap: Bool?
    public var bootstrapExpect: Int?
    public var bindAddr: String?
    public var advertiseAddr: String?
    public var clientAddr: String?
    public var httpPort: Int?
    public var httpsPort: Int?
    public var dnsPort: Int?
    public var serfLanPort: Int?
    public var serfWanPort: Int?
    public var serverPort: Int?
    public var grpcPort: Int?
    public var grpcTLSPort: Int?
    public var logLevel: String?
    public var logJSON: Bool?
    public var prometheusRetentionNanoseconds: UInt64?
    public var disableHostname: Bool?
    public var metricsPrefix: String?
    public var filterDefault: Bool?
    public var prefixFilter: [String] = []
    public var statsdAddress: String?
    public var dogstatsdAddress: String?
    public var dogstatsdTags: [String]?
    public var logFile: String?
    public var logRotateBytes: Int?
    public var logRotateDurationNanoseconds: UInt64?
    public var logRotateMaxFiles: Int?
    public var enableSyslog: Bool?
    public var syslogFacility: String?
    public var pidFile: String?
    public var uiEnabled: Bool?
    public var uiContentPath: String?
    /// Merged key by key across sources, later ones winning.
    public var nodeMeta: [String: String] = [:]
    public var httpResponseHeaders: [String: String]?
    public var allowWriteHTTPFrom: [String]?
    public var raftSnapshotThreshold: Int?
    public var checkOutputMaxSize: Int?
    public var sessionTTLMinNanoseconds: UInt64?
    public var disableKeyringFile: Bool?
    public var httpMaxConnsPerClient: Int?
    public var autopilotCleanupDeadServers: Bool?
    public var autopilotLastContactThresholdNanoseconds: UInt64?
    public var autopilotMaxTrailingLogs: Int?
    public var autopilotMinQuorum: Int?
    public var autopilotServerStabilizationTimeNanoseconds: UInt64?
    public var autopilotRedundancyZoneTag: String?
    public var autopilotDisableUpgradeMigration: Bool?
    public var autopilotUpgradeVersionTag: String?
    public var raftTrailingLogs: Int?
    public var reconnectTimeoutNanoseconds: UInt64?
    public var reconnectTimeoutWANNanoseconds: UInt64?
    public var retryIntervalWANNanoseconds: UInt64?
    public var retryMaxWAN: Int?
    public var dnsNodeMetaTXT: Bool?
    public var addressesHTTP: String?
    public var addressesDNS: String?
    public var dnsSOA: [String: UInt32] = [:]
    public var dnsRecursorStrategy: String?
    public var uiDir: String?
    /// Consul's warnings for legacy keys this layer used (mapped to their new keys).
    public var deprecations: [String] = []
    public var kvMaxValueSize: Int?
    public var txnMaxReqLen: Int?
    public var defaultQueryTimeNanoseconds: UInt64?
    public var maxQueryTimeNanoseconds: UInt64?
    public var leaveOnTerminate: Bool?
    public var skipLeaveOnInterrupt: Bool?
    /// Lists concatenate across sources, as Consul merges them.
    public var retryJoin: [String] = []
    public var retryIntervalNanoseconds: UInt64?
    public var retryMax: Int?
    public var retryJoinWAN: [String] = []
    public var rejoinAfterLeave: Bool?
    public var encryptKey: String?
    public var encryptVerifyIncoming: Bool?
    public var encryptVerifyOutgoing: Bool?
    /// Each entry one raw service (or check) object; a file's singular `service` and plural
    /// `services` both append here.
    public var services: [JSONValue] = []
    public var checks: [JSONValue] = []
    public var watches: [JSONValue] = []
    public var enableScriptChecks: Bool?
    public var disableRemoteExec: Bool?
    public var raftMultiplier: Int?
    public var enableLocalScriptChecks: Bool?
    public var ignoredKeys: [String] = []
    public var domain: String?
    public var altDomain: String?
    /// Lists concatenate across sources.
    public var recursors: [String] = []
    /// `dns_config` keys, each nil unless this source set it.
    public var dnsOnlyPassing: Bool?
    public var dnsNodeTTLSeconds: UInt32?
    public var dnsServiceTTLSeconds: [String: UInt32]?
    public var dnsUDPAnswerLimit: Int?
    public var dnsARecordLimit: Int?
    public var dnsEnableTruncate: Bool?
    public var dnsAllowStale: Bool?
    public var dnsMaxStaleNanoseconds: UInt64?
    public var dnsUseCache: Bool?
    public var dnsCacheMaxAgeNanoseconds: UInt64?
    public var dnsRecursorTimeoutNanoseconds: UInt64?
    public var dnsDisableCompression: Bool?

    public init() {}
}
