import ConsulAPI

/// Reads one JSON config file into a layer. Keys Consul does not know are an error, as in
/// Consul; keys it knows that this build does not act on yet are kept as warnings.
public enum ConfigFile {
    public static func parseJSON(_ bytes: [UInt8], path: String) throws(ConfigError) -> ConfigLayer {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch {
            throw ConfigError("Error parsing \(path): \(error)")
        }
        guard let members = document.objectValue else { throw ConfigError("Error parsing \(path): top level must be an object") }
        var layer = ConfigLayer()
        for (key, value) in members {
            do { try apply(key: key, value: value, to: &layer) } catch {
                throw ConfigError("Error parsing \(path): \(error.message)")
            }
        }
        return layer
    }

    private static func apply(key: String, value: JSONValue, to l: inout ConfigLayer) throws(ConfigError) {
        switch key.lowercased() {
        case "node_name": l.nodeName = try string(key, value)
        case "node_id": l.nodeID = try string(key, value)
        case "datacenter": l.datacenter = try string(key, value)
        case "data_dir": l.dataDir = try string(key, value)
        case "server": l.server = try bool(key, value)
        case "bootstrap": l.bootstrap = try bool(key, value)
        case "bootstrap_expect": l.bootstrapExpect = try int(key, value)
        case "bind_addr": l.bindAddr = try string(key, value)
        case "advertise_addr": l.advertiseAddr = try string(key, value)
        case "client_addr": l.clientAddr = try string(key, value)
        case "log_level": l.logLevel = try string(key, value)
        case "ui": l.uiEnabled = try bool(key, value)
        case "leave_on_terminate": l.leaveOnTerminate = try bool(key, value)
        case "skip_leave_on_interrupt": l.skipLeaveOnInterrupt = try bool(key, value)
        case "retry_join", "start_join":
            guard let items = value.arrayValue else { throw ConfigError("\(key): expected a list of strings") }
            for item in items { l.retryJoin.append(try string(key, item)) }
        case "default_query_time": l.defaultQueryTimeNanoseconds = try duration(key, value)
        case "max_query_time": l.maxQueryTimeNanoseconds = try duration(key, value)
        case "ports":
            guard let ports = value.objectValue else { throw ConfigError("ports: expected an object") }
            for (name, v) in ports {
                let port = try int("ports.\(name)", v)
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
        case "ui_config":
            guard let ui = value.objectValue else { throw ConfigError("ui_config: expected an object") }
            for (name, v) in ui {
                if name.lowercased() == "enabled" { l.uiEnabled = try bool("ui_config.enabled", v) }
                else { l.ignoredKeys.append("ui_config.\(name)") }
            }
        case "limits":
            guard let limits = value.objectValue else { throw ConfigError("limits: expected an object") }
            for (name, v) in limits {
                if name.lowercased() == "kv_max_value_size" { l.kvMaxValueSize = try int("limits.kv_max_value_size", v) }
                else { l.ignoredKeys.append("limits.\(name)") }
            }
        default:
            guard knownConsulKeys.contains(key.lowercased()) else { throw ConfigError("invalid config key \(key)") }
            l.ignoredKeys.append(key)
        }
    }

    private static func string(_ key: String, _ v: JSONValue) throws(ConfigError) -> String {
        guard let s = v.stringValue else { throw ConfigError("\(key): expected a string") }
        return s
    }

    private static func bool(_ key: String, _ v: JSONValue) throws(ConfigError) -> Bool {
        if let b = v.boolValue { return b }
        if let s = v.stringValue, let b = Bool(s.lowercased()) { return b }
        throw ConfigError("\(key): expected a boolean")
    }

    private static func int(_ key: String, _ v: JSONValue) throws(ConfigError) -> Int {
        if let n = v.int64Value { return Int(n) }
        if let s = v.stringValue, let n = Int(s) { return n }
        throw ConfigError("\(key): expected an integer")
    }

    private static func duration(_ key: String, _ v: JSONValue) throws(ConfigError) -> UInt64 {
        if let s = v.stringValue, let n = GoDuration.parse(s), n >= 0 { return UInt64(n) }
        if let n = v.int64Value, n >= 0 { return UInt64(n) }
        throw ConfigError("\(key): invalid duration")
    }

    /// Top-level keys Consul accepts that later issues implement (services, checks, DNS, …).
    static let knownConsulKeys: Set<String> = [
        "acl", "addresses", "advertise_addr_ipv4", "advertise_addr_ipv6", "advertise_addr_wan", "advertise_addr_wan_ipv4",
        "advertise_addr_wan_ipv6", "advertise_reconnect_timeout", "alt_domain", "audit", "auto_config", "auto_encrypt",
        "auto_reload_config", "autopilot", "cache", "check", "check_output_max_size", "check_update_interval", "checks",
        "client_addr", "cloud", "config_entries", "connect", "disable_anonymous_signature", "disable_coordinates",
        "disable_host_node_id", "disable_http_unprintable_char_filter", "disable_keyring_file", "disable_remote_exec",
        "disable_update_check", "discard_check_output", "discovery_max_stale", "dns_config", "domain", "enable_acl_replication",
        "enable_agent_tls_for_checks", "enable_central_service_config", "enable_debug", "enable_local_script_checks",
        "enable_script_checks", "enable_syslog", "encrypt", "encrypt_verify_incoming", "encrypt_verify_outgoing",
        "experiments", "gossip_lan", "gossip_wan", "http_config", "leave_on_terminate", "license_path", "locality",
        "log_file", "log_json", "log_rotate_bytes", "log_rotate_duration", "log_rotate_max_files", "node_meta",
        "peering", "performance", "pid_file", "primary_datacenter", "protocol", "raft_boltdb", "raft_logstore",
        "raft_protocol", "raft_snapshot_interval", "raft_snapshot_threshold", "raft_trailing_logs", "read_replica",
        "reconnect_timeout", "reconnect_timeout_wan", "recursor", "recursors", "rejoin_after_leave", "reporting",
        "retry_interval", "retry_interval_wan", "retry_join_wan", "retry_max", "retry_max_wan", "rpc", "segment",
        "serf_lan", "serf_lan_allowed_cidrs", "serf_wan", "serf_wan_allowed_cidrs", "server_name", "server_rejoin_age_max",
        "service", "services", "session_ttl_min", "skip_leave_on_interrupt", "start_join_wan", "syslog_facility",
        "telemetry", "tls", "translate_wan_addrs", "ui_content_path", "ui_dir", "unix_sockets", "watches", "xds",
    ]
}
