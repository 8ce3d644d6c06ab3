import ConsulAPI

/// What each top-level config key sets (agent.md §3.2–3.3). Shared by JSON and HCL files.
extension ConfigFile {
    static func apply(key: String, value: JSONValue, to l: inout ConfigLayer) throws(ConfigError) {
        switch key.lowercased() {
        case "node_name": l.nodeName = try ConfigValue.string(key, value)
        case "node_id": l.nodeID = try ConfigValue.string(key, value)
        case "datacenter": l.datacenter = try ConfigValue.string(key, value)
        case "data_dir": l.dataDir = try ConfigValue.string(key, value)
        case "server": l.server = try ConfigValue.bool(key, value)
        case "bootstrap": l.bootstrap = try ConfigValue.bool(key, value)
        case "bootstrap_expect": l.bootstrapExpect = try ConfigValue.int(key, value)
        case "bind_addr": l.bindAddr = try ConfigValue.string(key, value)
        case "advertise_addr": l.advertiseAddr = try ConfigValue.string(key, value)
        case "client_addr": l.clientAddr = try ConfigValue.string(key, value)
        case "log_level": l.logLevel = try ConfigValue.string(key, value)
        case "log_json": l.logJSON = try ConfigValue.bool(key, value)
        case "log_file": l.logFile = try ConfigValue.string(key, value)
        case "log_rotate_bytes": l.logRotateBytes = try ConfigValue.int(key, value)
        case "log_rotate_duration": l.logRotateDurationNanoseconds = try ConfigValue.duration(key, value)
        case "log_rotate_max_files": l.logRotateMaxFiles = try ConfigValue.int(key, value)
        case "enable_syslog": l.enableSyslog = try ConfigValue.bool(key, value)
        case "syslog_facility": l.syslogFacility = try ConfigValue.string(key, value)
        case "pid_file": l.pidFile = try ConfigValue.string(key, value)
        case "ui":
            l.uiEnabled = try ConfigValue.bool(key, value)
            l.deprecations.append("The 'ui' field is deprecated. Use the 'ui_config.enabled' field instead.")
        case "ui_dir":
            l.uiDir = try ConfigValue.string(key, value)
            l.deprecations.append("The 'ui_dir' field is deprecated. Use the 'ui_config.dir' field instead.")
        case "ui_content_path":
            l.uiContentPath = try ConfigValue.string(key, value)
            l.deprecations.append("The 'ui_content_path' field is deprecated. Use the 'ui_config.content_path' field instead.")
        case "leave_on_terminate": l.leaveOnTerminate = try ConfigValue.bool(key, value)
        case "enable_script_checks": l.enableScriptChecks = try ConfigValue.bool(key, value)
        case "disable_remote_exec": l.disableRemoteExec = try ConfigValue.bool(key, value)
        case "enable_local_script_checks": l.enableLocalScriptChecks = try ConfigValue.bool(key, value)
        case "skip_leave_on_interrupt": l.skipLeaveOnInterrupt = try ConfigValue.bool(key, value)
        case "http_config":
            for (name, v) in try ConfigValue.object(key, value) {
                switch name.lowercased() {
                case "response_headers":
                    var headers: [String: String] = [:]
                    for (h, hv) in try ConfigValue.object("http_config.response_headers", v) {
                        headers[h] = try ConfigValue.string("http_config.response_headers.\(h)", hv)
                    }
                    l.httpResponseHeaders = headers
                case "allow_write_http_from":
                    guard let items = v.arrayValue else { throw ConfigError("http_config.allow_write_http_from: expected a list of strings") }
                    l.allowWriteHTTPFrom = try items.map { item throws(ConfigError) in try ConfigValue.string("http_config.allow_write_http_from", item) }
                default: l.ignoredKeys.append("http_config.\(name)")
                }
            }
        case "addresses":
            for (name, v) in try ConfigValue.object(key, value) {
                switch name.lowercased() {
                case "http": l.addressesHTTP = try ConfigValue.string("addresses.http", v)
                case "dns": l.addressesDNS = try ConfigValue.string("addresses.dns", v)
                case "https", "grpc", "grpc_tls": l.ignoredKeys.append("addresses.\(name)")
                default: throw ConfigError("addresses.\(name): unknown key")
                }
            }
        case "disable_keyring_file": l.disableKeyringFile = try ConfigValue.bool(key, value)
        case "session_ttl_min": l.sessionTTLMinNanoseconds = try ConfigValue.duration(key, value)
        case "check_output_max_size": l.checkOutputMaxSize = try ConfigValue.int(key, value)
        case "raft_snapshot_threshold": l.raftSnapshotThreshold = try ConfigValue.int(key, value)
        case "raft_trailing_logs": l.raftTrailingLogs = try ConfigValue.int(key, value)
        case "reconnect_timeout": l.reconnectTimeoutNanoseconds = try ConfigValue.duration(key, value)
        case "reconnect_timeout_wan": l.reconnectTimeoutWANNanoseconds = try ConfigValue.duration(key, value)
        case "retry_interval_wan": l.retryIntervalWANNanoseconds = try ConfigValue.duration(key, value)
        case "retry_max_wan": l.retryMaxWAN = try ConfigValue.int(key, value)
        case "node_meta":
            for (k, v) in try ConfigValue.object(key, value) { l.nodeMeta[k] = try ConfigValue.string("node_meta.\(k)", v) }
        case "retry_join", "start_join":
            guard let items = value.arrayValue else { throw ConfigError("\(key): expected a list of strings") }
            for item in items { l.retryJoin.append(try ConfigValue.string(key, item)) }
        case "retry_interval": l.retryIntervalNanoseconds = try ConfigValue.duration(key, value)
        case "retry_max": l.retryMax = try ConfigValue.int(key, value)
        case "retry_join_wan", "start_join_wan":
            guard let items = value.arrayValue else { throw ConfigError("\(key): expected a list of strings") }
            for item in items { l.retryJoinWAN.append(try ConfigValue.string(key, item)) }
        case "rejoin_after_leave": l.rejoinAfterLeave = try ConfigValue.bool(key, value)
        case "encrypt": l.encryptKey = try ConfigValue.string(key, value)
        case "encrypt_verify_incoming": l.encryptVerifyIncoming = try ConfigValue.bool(key, value)
        case "encrypt_verify_outgoing": l.encryptVerifyOutgoing = try ConfigValue.bool(key, value)
        case "default_query_time": l.defaultQueryTimeNanoseconds = try ConfigValue.duration(key, value)
        case "max_query_time": l.maxQueryTimeNanoseconds = try ConfigValue.duration(key, value)
        case "service", "services":
            l.services += try ConfigValue.objects(key, value).map(ServiceShape.normalized)
        case "check", "checks":
            l.checks += try ConfigValue.objects(key, value)
        case "watches": l.watches += try ConfigValue.objects(key, value)
        case "ports":
            for (name, v) in try ConfigValue.object(key, value) {
                let port = try ConfigValue.int("ports.\(name)", v)
                switch name.lowercased() {
                case "http": l.httpPort = port
                case "https": l.httpsPort = port
                case "dns": l.dnsPort = port
                case "serf_lan": l.serfLanPort = port
                case "serf_wan": l.serfWanPort = port
                case "server": l.serverPort = port
                case "grpc": l.grpcPort = port
                case "grpc_tls": l.grpcTLSPort = port
                case "sidecar_min_port", "sidecar_max_port", "expose_min_port", "expose_max_port":
                    l.ignoredKeys.append("ports.\(name)")
                default: throw ConfigError("invalid config key ports.\(name)")
                }
            }
        case "domain": l.domain = try ConfigValue.string(key, value)
        case "alt_domain": l.altDomain = try ConfigValue.string(key, value)
        case "recursors", "recursor":
            if let s = value.stringValue { l.recursors.append(s); break }
            guard let items = value.arrayValue else { throw ConfigError("\(key): expected a list of strings") }
            for item in items { l.recursors.append(try ConfigValue.string(key, item)) }
        case "dns_config":
            for object in try ConfigValue.objects(key, value) {
                for (name, v) in try ConfigValue.object(key, object) {
                    try applyDNS(name: name, value: v, to: &l)
                }
            }
        case "telemetry":
            for (name, v) in try ConfigValue.object(key, value) {
                switch name.lowercased() {
                case "prometheus_retention_time": l.prometheusRetentionNanoseconds = try ConfigValue.duration("telemetry.\(name)", v)
                case "disable_hostname": l.disableHostname = try ConfigValue.bool("telemetry.\(name)", v)
                case "statsd_address": l.statsdAddress = try ConfigValue.string("telemetry.\(name)", v)
                case "dogstatsd_addr": l.dogstatsdAddress = try ConfigValue.string("telemetry.\(name)", v)
                case "dogstatsd_tags":
                    guard let items = v.arrayValue else { throw ConfigError("telemetry.dogstatsd_tags: expected a list of strings") }
                    l.dogstatsdTags = try items.map { item throws(ConfigError) in try ConfigValue.string("telemetry.dogstatsd_tags", item) }
                case "metrics_prefix": l.metricsPrefix = try ConfigValue.string("telemetry.\(name)", v)
                case "filter_default": l.filterDefault = try ConfigValue.bool("telemetry.\(name)", v)
                case "prefix_filter":
                    guard let items = v.arrayValue else { throw ConfigError("telemetry.prefix_filter: expected a list of strings") }
                    for item in items {
                        let rule = try ConfigValue.string("telemetry.prefix_filter", item)
                        guard rule.hasPrefix("+") || rule.hasPrefix("-"), rule.count > 1 else {
                            throw ConfigError("telemetry.prefix_filter: Filter rule must begin with either '+' or '-': \"\(rule)\"")
                        }
                        l.prefixFilter.append(rule)
                    }
                default: l.ignoredKeys.append("telemetry.\(name)")
                }
            }
        case "ui_config":
            for (name, v) in try ConfigValue.object(key, value) {
                switch name.lowercased() {
                case "enabled": l.uiEnabled = try ConfigValue.bool("ui_config.enabled", v)
                case "content_path": l.uiContentPath = try ConfigValue.string("ui_config.content_path", v)
                case "dir": l.uiDir = try ConfigValue.string("ui_config.dir", v)
                default: l.ignoredKeys.append("ui_config.\(name)")
                }
            }
        case "autopilot":
            for (name, v) in try ConfigValue.object(key, value) {
                let k = "autopilot.\(name)"
                switch name.lowercased() {
                case "cleanup_dead_servers": l.autopilotCleanupDeadServers = try ConfigValue.bool(k, v)
                case "last_contact_threshold": l.autopilotLastContactThresholdNanoseconds = try ConfigValue.duration(k, v)
                case "max_trailing_logs": l.autopilotMaxTrailingLogs = try ConfigValue.int(k, v)
                case "min_quorum": l.autopilotMinQuorum = try ConfigValue.int(k, v)
                case "server_stabilization_time": l.autopilotServerStabilizationTimeNanoseconds = try ConfigValue.duration(k, v)
                case "redundancy_zone_tag": l.autopilotRedundancyZoneTag = try ConfigValue.string(k, v)
                case "disable_upgrade_migration": l.autopilotDisableUpgradeMigration = try ConfigValue.bool(k, v)
                case "upgrade_version_tag": l.autopilotUpgradeVersionTag = try ConfigValue.string(k, v)
                default: throw ConfigError("\(k): unknown key")
                }
            }
        case "performance":
            for (name, v) in try ConfigValue.object(key, value) {
                if name.lowercased() == "raft_multiplier" { l.raftMultiplier = try ConfigValue.int("performance.raft_multiplier", v) }
                else { l.ignoredKeys.append("performance.\(name)") }
            }
        case "limits":
            for (name, v) in try ConfigValue.object(key, value) {
                switch name.lowercased() {
                case "kv_max_value_size": l.kvMaxValueSize = try ConfigValue.int("limits.kv_max_value_size", v)
                case "http_max_conns_per_client": l.httpMaxConnsPerClient = try ConfigValue.int("limits.http_max_conns_per_client", v)
                case "txn_max_req_len": l.txnMaxReqLen = try ConfigValue.int("limits.txn_max_req_len", v)
                default: l.ignoredKeys.append("limits.\(name)")
                }
            }
        case "acl":
            try SecurityRefusals.checkACL(key, value)
            l.ignoredKeys.append(key)
        case "acl_datacenter", "acl_master_token", "acl_token", "acl_agent_token", "acl_default_policy", "acl_down_policy":
            throw ConfigError("\(key): ACLs are not supported by this build (it has no access control by design); refusing to start rather than run without it")
        case "tls", "verify_incoming", "verify_outgoing", "verify_server_hostname", "verify_incoming_rpc", "verify_incoming_https",
             "ca_file", "ca_path", "cert_file", "key_file", "tls_min_version", "tls_cipher_suites", "tls_prefer_server_cipher_suites":
            try SecurityRefusals.checkTLS(key, value)
            l.ignoredKeys.append(key)
            if let warning = Self.legacyTLSWarning(key) { l.deprecations.append(warning) }
        default:
            guard knownConsulKeys.contains(key.lowercased()) else { throw ConfigError("invalid config key \(key)") }
            l.ignoredKeys.append(key)
        }
    }

    /// Consul's warnings for the top-level TLS keys it moved under `tls` (agent/config/deprecated.go).
    static func legacyTLSWarning(_ key: String) -> String? {
        let moved: [String: String] = [
            "ca_file": "tls.defaults.ca_file", "ca_path": "tls.defaults.ca_path", "cert_file": "tls.defaults.cert_file",
            "key_file": "tls.defaults.key_file", "tls_cipher_suites": "tls.defaults.tls_cipher_suites",
            "tls_min_version": "tls.defaults.tls_min_version", "verify_incoming": "tls.defaults.verify_incoming",
            "verify_incoming_https": "tls.https.verify_incoming", "verify_incoming_rpc": "tls.internal_rpc.verify_incoming",
            "verify_outgoing": "tls.defaults.verify_outgoing", "verify_server_hostname": "tls.internal_rpc.verify_server_hostname",
        ]
        if key == "tls_prefer_server_cipher_suites" { return "The 'tls_prefer_server_cipher_suites' field is deprecated and will be ignored." }
        return moved[key].map { "The '\(key)' field is deprecated. Use the '\($0)' field instead." }
    }

    static func seconds(_ key: String, _ v: JSONValue) throws(ConfigError) -> UInt32 {
        let ns = try ConfigValue.duration(key, v)
        return UInt32(clamping: ns / 1_000_000_000)
    }

    /// One `dns_config` sub-key; unknown keys are errors naming the key.
    static func applyDNS(name: String, value v: JSONValue, to l: inout ConfigLayer) throws(ConfigError) {
        let key = "dns_config.\(name)"
        switch name.lowercased() {
        case "only_passing": l.dnsOnlyPassing = try ConfigValue.bool(key, v)
        case "node_ttl": l.dnsNodeTTLSeconds = try seconds(key, v)
        case "service_ttl":
            var map: [String: UInt32] = l.dnsServiceTTLSeconds ?? [:]
            for object in try ConfigValue.objects(key, v) {
                for (service, ttl) in try ConfigValue.object(key, object) {
                    map[service] = try seconds("\(key).\(service)", ttl)
                }
            }
            l.dnsServiceTTLSeconds = map
        case "udp_answer_limit": l.dnsUDPAnswerLimit = try ConfigValue.int(key, v)
        case "a_record_limit": l.dnsARecordLimit = try ConfigValue.int(key, v)
        case "enable_truncate": l.dnsEnableTruncate = try ConfigValue.bool(key, v)
        case "allow_stale": l.dnsAllowStale = try ConfigValue.bool(key, v)
        case "max_stale": l.dnsMaxStaleNanoseconds = try ConfigValue.duration(key, v)
        case "recursor_timeout": l.dnsRecursorTimeoutNanoseconds = try ConfigValue.duration(key, v)
        case "disable_compression": l.dnsDisableCompression = try ConfigValue.bool(key, v)
        case "use_cache": l.dnsUseCache = try ConfigValue.bool(key, v)
        case "cache_max_age": l.dnsCacheMaxAgeNanoseconds = try ConfigValue.duration(key, v)
        case "enable_additional_node_meta_txt": l.dnsNodeMetaTXT = try ConfigValue.bool(key, v)
        case "recursor_strategy": l.dnsRecursorStrategy = try ConfigValue.string(key, v)
        case "soa":
            for (name, value) in try ConfigValue.object(key, v) {
                let field = name.lowercased()
                guard ["refresh", "retry", "expire", "min_ttl"].contains(field) else { throw ConfigError("\(key).\(name): unknown key") }
                let n = try ConfigValue.int("\(key).\(name)", value)
                guard n >= 0, n <= Int(UInt32.max) else { throw ConfigError("\(key).\(name) must be between 0 and \(UInt32.max)") }
                l.dnsSOA[field] = UInt32(n)
            }
        case "prefer_namespace":
            l.ignoredKeys.append(key)
        default: throw ConfigError("invalid config key \(key)")
        }
    }

    /// Top-level keys Consul accepts that this build does not act on (a warning names each).
    static let knownConsulKeys: Set<String> = [
        "advertise_addr_ipv4", "advertise_addr_ipv6", "advertise_addr_wan", "advertise_addr_wan_ipv4",
        "advertise_addr_wan_ipv6", "advertise_reconnect_timeout", "audit", "auto_config", "auto_encrypt",
        "auto_reload_config", "cache", "check_update_interval",
        "client_addr", "cloud", "config_entries", "connect", "disable_anonymous_signature", "disable_coordinates",
        "disable_host_node_id", "disable_http_unprintable_char_filter",
        "disable_update_check", "discard_check_output", "discovery_max_stale", "enable_acl_replication",
        "enable_agent_tls_for_checks", "enable_central_service_config", "enable_debug", "enable_local_script_checks",
        "encrypt", "encrypt_verify_incoming", "encrypt_verify_outgoing",
        "experiments", "gossip_lan", "gossip_wan", "leave_on_terminate", "license_path", "locality",
        "peering", "primary_datacenter", "protocol", "raft_boltdb", "raft_logstore",
        "raft_protocol", "raft_snapshot_interval", "read_replica",
        "reporting",
        "retry_interval", "retry_max", "rpc", "segment",
        "serf_lan", "serf_lan_allowed_cidrs", "serf_wan", "serf_wan_allowed_cidrs", "server_name", "server_rejoin_age_max",
        "skip_leave_on_interrupt", "start_join_wan",
        "translate_wan_addrs", "unix_sockets", "watches", "xds",
    ]
}
