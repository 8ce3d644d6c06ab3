import ConsulAPI
import Platform
import Wire

/// Merges configuration sources in Consul's order — defaults, `-dev` defaults, config files
/// (in the order given), then command-line flags — and validates the result.
public enum ConfigBuilder {
    /// What `-dev` changes (agent.md §3.7).
    public static var devLayer: ConfigLayer {
        var dev = ConfigLayer()
        dev.server = true
        dev.bootstrap = true
        dev.bindAddr = "127.0.0.1"
        dev.uiEnabled = true
        dev.logLevel = "DEBUG"
        dev.grpcPort = 8502
        return dev
    }

    /// `network`: the host's interfaces, for go-sockaddr templates in address keys and for
    /// picking the advertise address of an ANY bind as Consul does; nil (unit tests) skips both
    /// and leaves an ANY bind advertising loopback.
    /// `fragments`: `-hcl` snippets, applied after the flags as Consul applies them.
    public static func build(dev: Bool, files: [ConfigLayer], flags: ConfigLayer, fragments: [ConfigLayer] = [], hostname: String,
                             network: NetworkFacts? = nil) throws(ConfigError) -> AgentConfig {
        var config = AgentConfig()
        config.devMode = dev
        var layers: [ConfigLayer] = []
        if dev { layers.append(devLayer) }
        layers += files
        layers.append(flags)
        layers += fragments
        for layer in layers { apply(layer, to: &config) }
        if config.nodeName.isEmpty { config.nodeName = hostname }
        if config.server && config.grpcTLSPortUnset(layers) { config.ports.grpcTLS = 8503 }
        try validate(&config)
        // After the other checks (their errors come first, as Consul's), before the address ones.
        if let network {
            try resolveAddresses(&config, network)
            try validateAddresses(config)
        }
        return config
    }

    private static func apply(_ l: ConfigLayer, to c: inout AgentConfig) {
        if let v = l.nodeName { c.nodeName = v }
        if let v = l.nodeID { c.nodeID = v }
        if let v = l.datacenter { c.datacenter = v }
        if let v = l.dataDir { c.dataDir = v }
        if let v = l.server { c.server = v }
        if let v = l.bootstrap { c.bootstrap = v }
        if let v = l.bootstrapExpect { c.bootstrapExpect = v }
        if let v = l.bindAddr { c.bindAddr = v }
        if let v = l.advertiseAddr { c.advertiseAddr = v }
        // A template is expanded (and split) once the host's interfaces are known.
        if let v = l.clientAddr { c.clientAddrs = v.contains("{{") ? [v] : v.split(separator: " ").map(String.init) }
        if let v = l.httpPort { c.ports.http = v }
        if let v = l.httpsPort { c.ports.https = v }
        if let v = l.dnsPort { c.ports.dns = v }
        if let v = l.serfLanPort { c.ports.serfLan = v }
        if let v = l.serfWanPort { c.ports.serfWan = v }
        if let v = l.serverPort { c.ports.server = v }
        if let v = l.grpcPort { c.ports.grpc = v }
        if let v = l.grpcTLSPort { c.ports.grpcTLS = v }
        if let v = l.logLevel { c.logLevel = v }
        if let v = l.logJSON { c.logging.json = v }
        if let v = l.prometheusRetentionNanoseconds { c.telemetry.prometheusRetentionNanoseconds = v }
        if let v = l.disableHostname { c.telemetry.disableHostname = v }
        if let v = l.metricsPrefix { c.telemetry.metricsPrefix = v }
        if let v = l.filterDefault { c.telemetry.filterDefault = v }
        c.telemetry.prefixFilter += l.prefixFilter
        if let v = l.statsdAddress { c.telemetry.statsdAddress = v }
        if let v = l.dogstatsdAddress { c.telemetry.dogstatsdAddress = v }
        if let v = l.dogstatsdTags { c.telemetry.dogstatsdTags = v }
        if let v = l.logFile { c.logging.file = v }
        if let v = l.logRotateBytes { c.logging.rotateBytes = v }
        if let v = l.logRotateDurationNanoseconds { c.logging.rotateDurationNanoseconds = v }
        if let v = l.logRotateMaxFiles { c.logging.rotateMaxFiles = v }
        if let v = l.enableSyslog { c.logging.syslog = v }
        if let v = l.syslogFacility { c.logging.syslogFacility = v }
        if let v = l.pidFile { c.pidFile = v }
        if let v = l.enableScriptChecks { c.enableScriptChecks = c.enableScriptChecks || v }
        if let v = l.disableRemoteExec { c.disableRemoteExec = v }
        if let v = l.raftMultiplier { c.raftMultiplier = v }
        if let v = l.enableLocalScriptChecks { c.enableScriptChecks = c.enableScriptChecks || v }
        if let v = l.uiEnabled { c.uiEnabled = v }
        if let v = l.uiContentPath { c.uiContentPath = uiPath(v) }
        c.nodeMeta.merge(l.nodeMeta) { _, later in later }
        if let v = l.httpResponseHeaders { c.httpResponseHeaders.merge(v) { _, later in later } }
        if let v = l.allowWriteHTTPFrom { c.allowWriteHTTPFrom = v }
        if let v = l.raftSnapshotThreshold { c.raftSnapshotThreshold = v }
        if let v = l.checkOutputMaxSize { c.checkOutputMaxSize = v }
        if let v = l.sessionTTLMinNanoseconds { c.sessionTTLMinNanoseconds = v }
        if let v = l.disableKeyringFile { c.disableKeyringFile = v }
        if let v = l.httpMaxConnsPerClient { c.httpMaxConnsPerClient = v }
        if let v = l.txnMaxReqLen { c.txnMaxReqLen = v }
        if let v = l.autopilotCleanupDeadServers { c.autopilot.cleanupDeadServers = v }
        if let v = l.autopilotLastContactThresholdNanoseconds { c.autopilot.lastContactThresholdNanoseconds = v }
        if let v = l.autopilotMaxTrailingLogs { c.autopilot.maxTrailingLogs = v }
        if let v = l.autopilotMinQuorum { c.autopilot.minQuorum = v }
        if let v = l.autopilotServerStabilizationTimeNanoseconds { c.autopilot.serverStabilizationTimeNanoseconds = v }
        if let v = l.autopilotRedundancyZoneTag { c.autopilot.redundancyZoneTag = v }
        if let v = l.autopilotDisableUpgradeMigration { c.autopilot.disableUpgradeMigration = v }
        if let v = l.autopilotUpgradeVersionTag { c.autopilot.upgradeVersionTag = v }
        if let v = l.raftTrailingLogs { c.raftTrailingLogs = v }
        if let v = l.reconnectTimeoutNanoseconds { c.reconnectTimeoutNanoseconds = v }
        if let v = l.reconnectTimeoutWANNanoseconds { c.reconnectTimeoutWANNanoseconds = v }
        if let v = l.retryIntervalWANNanoseconds { c.retryIntervalWANNanoseconds = v }
        if let v = l.retryMaxWAN { c.retryMaxWAN = v }
        if let v = l.dnsNodeMetaTXT { c.dns.nodeMetaTXT = v }
        if let v = l.addressesHTTP { c.httpAddrs = v.contains("{{") ? [v] : v.split(separator: " ").map(String.init) }
        if let v = l.addressesDNS { c.dnsAddrs = v.contains("{{") ? [v] : v.split(separator: " ").map(String.init) }
        if let v = l.dnsSOA["refresh"] { c.dns.soaRefresh = v }
        if let v = l.dnsSOA["retry"] { c.dns.soaRetry = v }
        if let v = l.dnsSOA["expire"] { c.dns.soaExpire = v }
        if let v = l.dnsSOA["min_ttl"] { c.dns.soaMinTTL = v }
        if let v = l.dnsRecursorStrategy { c.dns.recursorStrategy = v }
        if let v = l.uiDir { c.uiDir = v }
        c.warnings += l.deprecations
        if let v = l.kvMaxValueSize { c.kvMaxValueSize = v }
        if let v = l.defaultQueryTimeNanoseconds { c.defaultQueryTimeNanoseconds = v }
        if let v = l.maxQueryTimeNanoseconds { c.maxQueryTimeNanoseconds = v }
        if let v = l.leaveOnTerminate { c.leaveOnTerminate = v }
        if let v = l.skipLeaveOnInterrupt { c.skipLeaveOnInterrupt = v }
        c.retryJoin += l.retryJoin
        if let v = l.retryIntervalNanoseconds { c.retryIntervalNanoseconds = v }
        if let v = l.retryMax { c.retryMax = v }
        c.retryJoinWAN += l.retryJoinWAN
        if let v = l.rejoinAfterLeave { c.rejoinAfterLeave = v }
        if let v = l.encryptKey { c.encryptKey = v }
        if let v = l.encryptVerifyIncoming { c.encryptVerifyIncoming = v }
        if let v = l.encryptVerifyOutgoing { c.encryptVerifyOutgoing = v }
        c.services += l.services
        c.checks += l.checks
        c.watches += l.watches
        c.ignoredKeys += l.ignoredKeys
        if let v = l.domain { c.domain = v }
        if let v = l.altDomain { c.altDomain = v }
        for r in l.recursors {
            let a = normalizedRecursor(r)
            if !c.recursors.contains(a) { c.recursors.append(a) }
        }
        if let v = l.dnsOnlyPassing { c.dns.onlyPassing = v }
        if let v = l.dnsNodeTTLSeconds { c.dns.nodeTTLSeconds = v }
        if let v = l.dnsServiceTTLSeconds { c.dns.serviceTTLSeconds = v }
        if let v = l.dnsUDPAnswerLimit { c.dns.udpAnswerLimit = v }
        if let v = l.dnsARecordLimit { c.dns.aRecordLimit = v }
        if let v = l.dnsEnableTruncate { c.dns.enableTruncate = v }
        if let v = l.dnsAllowStale { c.dns.allowStale = v }
        if let v = l.dnsMaxStaleNanoseconds { c.dns.maxStaleNanoseconds = v }
        if let v = l.dnsUseCache { c.dns.useCache = v }
        if let v = l.dnsCacheMaxAgeNanoseconds { c.dns.cacheMaxAgeNanoseconds = v }
        if let v = l.dnsRecursorTimeoutNanoseconds { c.dns.recursorTimeoutNanoseconds = v }
        if let v = l.dnsDisableCompression { c.dns.disableCompression = v }
    }

    /// `ip` → `ip:53`, `[v6]` / bare v6 → `[v6]:53`; an address with a port is kept.
    static func normalizedRecursor(_ r: String) -> String {
        let s = r.trimmingCharacters(in: " ")
        if s.hasPrefix("[") { return s.contains("]:") ? s : s + ":53" }
        let colons = s.filter { $0 == ":" }.count
        if colons == 0 { return s + ":53" }
        if colons == 1 { return s }
        return "[\(s)]:53"
    }

    private static func validate(_ c: inout AgentConfig) throws(ConfigError) {
        c.datacenter = c.datacenter.lowercased()
        guard !c.datacenter.isEmpty,
              c.datacenter.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 })
        else { throw ConfigError("datacenter: must be alphanumeric, dashes or underscores: \(c.datacenter)") }
        if !c.devMode && c.dataDir.isEmpty {
            throw ConfigError("data_dir cannot be empty")
        }
        if c.devMode && c.bootstrapExpect != 0 {
            throw ConfigError("'bootstrap_expect > 0' not allowed in dev mode")
        }
        if c.bootstrapExpect < 0 { throw ConfigError("bootstrap_expect cannot be negative") }
        if (c.bootstrap || c.bootstrapExpect > 0) && !c.server {
            throw ConfigError("'bootstrap' and 'bootstrap_expect' require server mode")
        }
        if c.bootstrap && c.bootstrapExpect > 0 && !c.devMode {
            throw ConfigError("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive")
        }
        // Consul's floor: reaping a failed member sooner risks losing one that is only partitioned.
        for (key, value) in [("reconnect_timeout", c.reconnectTimeoutNanoseconds), ("reconnect_timeout_wan", c.reconnectTimeoutWANNanoseconds)]
        where value < 8 * 3_600_000_000_000 {
            throw ConfigError("\(key) must be >= 8h0m0s")
        }
        guard ["sequential", "random"].contains(c.dns.recursorStrategy) else {
            throw ConfigError("dns_config.recursor_strategy: invalid strategy \(goQuoted(c.dns.recursorStrategy)), must be one of \"sequential\" or \"random\"")
        }
        if c.txnMaxReqLen < 1 { throw ConfigError("limits.txn_max_req_len must be positive") }
        if c.httpMaxConnsPerClient < 0 { throw ConfigError("limits.http_max_conns_per_client cannot be negative") }
        if c.checkOutputMaxSize < 1 { throw ConfigError("check_output_max_size must be positive, to discard check output use the discard_check_output flag") }
        if c.autopilot.maxTrailingLogs < 0 {
            throw ConfigError("autopilot.max_trailing_logs cannot be \(c.autopilot.maxTrailingLogs). Must be greater than or equal to zero")
        }
        if c.autopilot.minQuorum < 0 { throw ConfigError("autopilot.min_quorum cannot be negative") }
        if c.raftSnapshotThreshold < 0 { throw ConfigError("raft_snapshot_threshold cannot be negative") }
        if c.raftTrailingLogs < 0 { throw ConfigError("raft_trailing_logs cannot be negative") }
        for cidr in c.allowWriteHTTPFrom where IPNetwork(cidr.filter { $0 != " " }) == nil {
            throw ConfigError("allow_write_http_from: invalid cidr: \(cidr)")
        }
        if let problem = nodeMetaProblem(c.nodeMeta) { throw ConfigError("node_meta invalid: \(problem)") }
        // Dev mode enables the UI by default, so a directory there simply replaces the embedded copy.
        if !c.devMode && c.uiEnabled && !c.uiDir.isEmpty {
            throw ConfigError("Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, please provide only one.\n"
                + "If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n"
                + "The web UI is included in the binary so use ui_config.enabled or the -ui flag to enable it")
        }
        c.warnings += startupWarnings(c)
        if c.bootstrapExpect == 1 { c.bootstrap = true; c.bootstrapExpect = 0 }
        guard let level = normalizedLogLevel(c.logLevel) else {
            throw ConfigError("Invalid log level: \(c.logLevel). Valid log levels are: [TRACE DEBUG INFO WARN ERR ERROR]")
        }
        c.logLevel = level
        guard LogConfig.facilities.contains(c.logging.syslogFacility.uppercased()) else {
            throw ConfigError("Invalid syslog_facility: \(c.logging.syslogFacility). Valid facilities are: \(LogConfig.facilities.joined(separator: ", "))")
        }
        if c.logging.rotateBytes < 0 { throw ConfigError("log_rotate_bytes cannot be negative") }
        if c.logging.rotateMaxFiles < -1 { throw ConfigError("log_rotate_max_files must be -1, 0 or positive") }
        if !c.encryptKey.isEmpty {
            guard let key = Base64.decode(c.encryptKey) else { throw ConfigError("encrypt has invalid key: illegal base64 data") }
            guard [16, 24, 32].contains(key.count) else {
                throw ConfigError("encrypt has invalid key: key size must be 16, 24 or 32 bytes (got \(key.count))")
            }
        }
        try validateAddresses(c)
        for (name, port) in [("server", c.ports.server), ("serf_lan", c.ports.serfLan)] where port <= 0 || port > 65535 {
            throw ConfigError("ports.\(name) must be between 1 and 65535, got \(port)")
        }
        try SecurityRefusals.checkHTTPS(port: c.ports.https)
        guard (1...10).contains(c.raftMultiplier) else {
            throw ConfigError("performance.raft_multiplier cannot be \(c.raftMultiplier). Must be between 1 and 10")
        }
        for (name, port) in [("http", c.ports.http), ("dns", c.ports.dns), ("serf_wan", c.ports.serfWan)] where port > 65535 {
            throw ConfigError("ports.\(name) must be between 1 and 65535, got \(port)")
        }
        if !c.nodeID.isEmpty && !isUUID(c.nodeID) {
            throw ConfigError("node_id: invalid node ID: \(c.nodeID)")
        }
        if c.nodeName.isEmpty { throw ConfigError("node_name cannot be empty") }
        if c.kvMaxValueSize <= 0 { throw ConfigError("limits.kv_max_value_size must be positive") }
        if c.maxQueryTimeNanoseconds == 0 { c.maxQueryTimeNanoseconds = 600_000_000_000 }
        if c.domain.isEmpty { throw ConfigError("domain cannot be empty") }
        for (i, watch) in c.watches.enumerated() {
            do { _ = try AgentWatchDefinition.parse(watch) } catch { throw ConfigError("watches[\(i)]: \(error.message)") }
        }
        if !c.altDomain.isEmpty {
            // Consul: the first label may not be a query kind or the datacenter (ambiguous names).
            let first = c.altDomain.lowercased().split(separator: ".").first.map(String.init) ?? ""
            if ["service", "connect", "node", "query", "addr", c.datacenter.lowercased()].contains(first) {
                throw ConfigError("alt_domain cannot start with {service,connect,node,query,addr,\(c.datacenter)}")
            }
        }
        for r in c.recursors {
            guard let a = parseRecursor(r), isIPAddress(a.host), (1...65535).contains(a.port) else {
                throw ConfigError("Invalid recursor address: \(goQuoted(r))")
            }
        }
        if c.dns.udpAnswerLimit < 0 { throw ConfigError("dns_config.udp_answer_limit cannot be negative") }
        if c.dns.aRecordLimit < 0 { throw ConfigError("dns_config.a_record_limit cannot be negative") }
        if c.defaultQueryTimeNanoseconds == 0 { c.defaultQueryTimeNanoseconds = 300_000_000_000 }
    }

    /// Consul's builder warnings, in its order and words.
    static func startupWarnings(_ c: AgentConfig) -> [String] {
        var out: [String] = []
        let table = "See https://www.consul.io/docs/internals/consensus.html#deployment-table"
        if !c.devMode {
            let expect = c.bootstrapExpect
            if expect == 1 { out.append("BootstrapExpect is set to 1; this is the same as Bootstrap mode.") }
            if c.bootstrap || expect == 1 { out.append("bootstrap = true: do not enable unless necessary") }
            if expect == 2 {
                out.append("bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. \(table)")
            } else if expect > 2 && expect % 2 == 0 {
                out.append("bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. \(table)")
            }
            if expect > 1 { out.append("bootstrap_expect > 0: expecting \(expect) servers") }
        }
        let name = c.nodeName
        if !name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }) {
            out.append("Node name \(goQuoted(name)) will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes.")
        } else if name.utf8.count > 63 {
            out.append("Node name \(goQuoted(name)) will not be discoverable via DNS due to it being too long. Valid lengths are between 1 and 63 bytes.")
        }
        return out
    }

    /// The address keys hold IP addresses (templates are checked once expanded).
    static func validateAddresses(_ c: AgentConfig) throws(ConfigError) {
        guard c.bindAddr.contains("{{") || isIPAddress(c.bindAddr) else { throw ConfigError("bind_addr: \(goQuoted(c.bindAddr)) is not a valid IP address") }
        if !c.advertiseAddr.isEmpty && !c.advertiseAddr.contains("{{") {
            guard isIPAddress(c.advertiseAddr) else { throw ConfigError("advertise_addr: \(goQuoted(c.advertiseAddr)) is not a valid IP address") }
            guard c.advertiseAddr != "0.0.0.0" && c.advertiseAddr != "::" else {
                throw ConfigError("Advertise address cannot be 0.0.0.0, :: or [::]")
            }
        }
        guard !c.clientAddrs.isEmpty else { throw ConfigError("client_addr cannot be empty") }
        for a in c.clientAddrs where !a.contains("{{") && !isIPAddress(a) {
            throw ConfigError("client_addr: \(goQuoted(a)) is not a valid IP address")
        }
        for (key, list) in [("addresses.http", c.httpAddrs ?? []), ("addresses.dns", c.dnsAddrs ?? [])] {
            for a in list where !a.contains("{{") && !isIPAddress(a) {
                throw ConfigError("\(key): \(goQuoted(a)) is not a valid IP address")
            }
        }
    }

    /// Templates expanded in every address key, then an ANY bind's advertise address detected.
    static func resolveAddresses(_ c: inout AgentConfig, _ network: NetworkFacts) throws(ConfigError) {
        let binds = try AddressTemplate.expandAddresses("bind_addr", c.bindAddr, facts: network)
        guard !binds.isEmpty else { throw ConfigError("bind_addr cannot be empty") }
        guard binds.count == 1 else { throw ConfigError("bind_addr cannot contain multiple addresses. Use 'addresses.{dns,http,https}' instead.") }
        c.bindAddr = binds[0]
        if !c.advertiseAddr.isEmpty {
            c.advertiseAddr = try AddressTemplate.expandAddresses("advertise_addr", c.advertiseAddr, facts: network).first ?? ""
        }
        var clients: [String] = []
        for a in c.clientAddrs { clients += try AddressTemplate.expandAddresses("client_addr", a, facts: network) }
        c.clientAddrs = clients
        if let http = c.httpAddrs {
            var out: [String] = []
            for a in http { out += try AddressTemplate.expandAddresses("addresses.http", a, facts: network) }
            c.httpAddrs = out
        }
        if let dns = c.dnsAddrs {
            var out: [String] = []
            for a in dns { out += try AddressTemplate.expandAddresses("addresses.dns", a, facts: network) }
            c.dnsAddrs = out
        }
        var join: [String] = []
        for a in c.retryJoin { join += try AddressTemplate.expandAddresses("retry_join", a, facts: network) }
        c.retryJoin = join
        var joinWAN: [String] = []
        for a in c.retryJoinWAN { joinWAN += try AddressTemplate.expandAddresses("retry_join_wan", a, facts: network) }
        c.retryJoinWAN = joinWAN
        if c.advertiseAddr.isEmpty && (c.bindAddr == "0.0.0.0" || c.bindAddr == "::") {
            c.advertiseAddr = try AddressDetection.advertiseForAny(bind: c.bindAddr, facts: network)
        }
    }

    /// Consul's rules for node metadata (structs.ValidateNodeMetadata), in its words.
    static func nodeMetaProblem(_ meta: [String: String]) -> String? {
        if meta.count > 64 { return "Node metadata cannot contain more than 64 key/value pairs" }
        for key in meta.keys.sorted() {
            if key.isEmpty { return "Key cannot be blank" }
            if key.count > 128 { return "Key is too long (limit: 128 characters)" }
            if key.hasPrefix("consul-") { return "Key prefix 'consul-' is reserved for internal use" }
            let valid = key.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 }
            if !valid { return "Key contains invalid characters" }
            if meta[key]!.count > 512 { return "Value is too long (limit: 512 characters)" }
        }
        return nil
    }

    /// Consul's normalisation of `ui_config.content_path`: a leading and a trailing slash.
    static func uiPath(_ path: String) -> String {
        var p = path.hasPrefix("/") ? path : "/" + path
        if !p.hasSuffix("/") { p += "/" }
        return p
    }

    static func normalizedLogLevel(_ level: String) -> String? {
        switch level.uppercased() {
        case "TRACE": return "TRACE"
        case "DEBUG": return "DEBUG"
        case "INFO": return "INFO"
        case "WARN", "WARNING": return "WARN"
        case "ERR", "ERROR": return "ERROR"
        default: return nil
        }
    }
}

extension AgentConfig {
    fileprivate func grpcTLSPortUnset(_ layers: [ConfigLayer]) -> Bool {
        !layers.contains { $0.grpcTLSPort != nil }
    }
}

/// A configuration problem, worded for the operator.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Dotted-quad IPv4 or an IPv6 literal.
public func isIPAddress(_ s: String) -> Bool {
    if s.contains(":") {
        return !s.isEmpty && s.utf8.allSatisfy { $0 == 58 || $0 == 46 || ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
            && s.split(separator: ":", omittingEmptySubsequences: false).count <= 8
    }
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { p in
        !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && (Int(p) ?? 256) <= 255
    }
}

public func isUUID(_ s: String) -> Bool { UUIDText.isValid(s) }

/// Splits a normalized recursor (`ip:port` or `[v6]:port`) into host and port.
public func parseRecursor(_ r: String) -> (host: String, port: Int)? {
    if r.hasPrefix("["), let close = r.firstIndex(of: "]") {
        let host = String(r[r.index(after: r.startIndex)..<close])
        let rest = r[r.index(after: close)...]
        guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
        return (host, port)
    }
    let parts = r.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let port = Int(parts[1]) else { return nil }
    return (String(parts[0]), port)
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

