import Config
import Testing

private func build(_ json: String) throws -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    return try ConfigBuilder.build(dev: false, files: [try ConfigFile.parseJSON(Array(json.utf8), path: "/c/k.json")], flags: flags, hostname: "h")
}

private func failure(_ json: String) -> String? {
    do { _ = try build(json); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
}

/// Raft snapshot cadence, serf reconnect timeouts, WAN retry settings and DNS node-meta TXT.
@Suite struct ServerKeysConfigTests {
    @Test func defaultsAsConsul() throws {
        let c = try build("{}")
        #expect(c.raftSnapshotThreshold == 16384 && c.raftTrailingLogs == 10240)
        #expect(c.reconnectTimeoutNanoseconds == 72 * 3_600_000_000_000 && c.reconnectTimeoutWANNanoseconds == 72 * 3_600_000_000_000)
        #expect(c.retryIntervalWANNanoseconds == 30_000_000_000 && c.retryMaxWAN == 0)
        #expect(c.dns.nodeMetaTXT)
    }

    @Test func acceptedValues() throws {
        let c = try build(#"""
        {"raft_snapshot_threshold": 8192, "raft_trailing_logs": 20000, "reconnect_timeout": "8h", "reconnect_timeout_wan": "96h",
         "retry_interval_wan": "5s", "retry_max_wan": 3, "dns_config": {"enable_additional_node_meta_txt": false}}
        """#)
        #expect(c.raftSnapshotThreshold == 8192 && c.raftTrailingLogs == 20000)
        #expect(c.reconnectTimeoutNanoseconds == 8 * 3_600_000_000_000 && c.reconnectTimeoutWANNanoseconds == 96 * 3_600_000_000_000)
        #expect(c.retryIntervalWANNanoseconds == 5_000_000_000 && c.retryMaxWAN == 3)
        #expect(!c.dns.nodeMetaTXT)
        #expect(c.ignoredKeys.isEmpty, "\(c.ignoredKeys)")
    }

    @Test func wrongValues() {
        #expect(failure(#"{"reconnect_timeout": "1h"}"#) == "reconnect_timeout must be >= 8h0m0s")
        #expect(failure(#"{"reconnect_timeout_wan": "7h59m"}"#) == "reconnect_timeout_wan must be >= 8h0m0s")
        #expect(failure(#"{"raft_snapshot_threshold": -1}"#) == "raft_snapshot_threshold cannot be negative")
        #expect(failure(#"{"raft_trailing_logs": "many"}"#)?.hasSuffix("raft_trailing_logs: expected an integer") == true)
        #expect(failure(#"{"retry_interval_wan": "soon"}"#)?.hasSuffix("retry_interval_wan: invalid duration") == true)
    }
}

/// The `autopilot` stanza: Consul's defaults, accepted values and errors.
@Suite struct AutopilotConfigTests {
    @Test func stanzaValues() throws {
        let c = try build(#"""
        {"autopilot": {"cleanup_dead_servers": false, "last_contact_threshold": "500ms", "max_trailing_logs": 500,
                       "min_quorum": 3, "server_stabilization_time": "20s", "redundancy_zone_tag": "az"}}
        """#)
        #expect(!c.autopilot.cleanupDeadServers && c.autopilot.lastContactThresholdNanoseconds == 500_000_000)
        #expect(c.autopilot.maxTrailingLogs == 500 && c.autopilot.minQuorum == 3)
        #expect(c.autopilot.serverStabilizationTimeNanoseconds == 20_000_000_000 && c.autopilot.redundancyZoneTag == "az")
        #expect(c.ignoredKeys.isEmpty)
        let defaults = try build("{}").autopilot
        #expect(defaults.cleanupDeadServers && defaults.lastContactThresholdNanoseconds == 200_000_000 && defaults.maxTrailingLogs == 250)
        #expect(defaults.serverStabilizationTimeNanoseconds == 10_000_000_000 && defaults.minQuorum == 0)
    }

    @Test func wrongValues() {
        #expect(failure(#"{"autopilot": {"max_trailing_logs": -1}}"#) == "autopilot.max_trailing_logs cannot be -1. Must be greater than or equal to zero")
        #expect(failure(#"{"autopilot": {"last_contact_threshold": "soon"}}"#)?.hasSuffix("autopilot.last_contact_threshold: invalid duration") == true)
        #expect(failure(#"{"autopilot": {"cleanup_dead_servers": "yes"}}"#)?.hasSuffix("autopilot.cleanup_dead_servers: expected a boolean") == true)
    }
}

/// `check_output_max_size`: Consul's default and its error for a non-positive value.
@Suite struct CheckOutputConfigTests {
    @Test func values() throws {
        #expect(try build("{}").checkOutputMaxSize == 4096)
        #expect(try build(#"{"check_output_max_size": 10}"#).checkOutputMaxSize == 10)
        #expect(failure(#"{"check_output_max_size": 0}"#) == "check_output_max_size must be positive, to discard check output use the discard_check_output flag")
    }
}

/// Top-level TLS keys Consul moved under `tls`: accepted with its deprecation warning.
@Suite struct LegacyTLSKeysTests {
    @Test func warnedAsConsul() throws {
        let c = try build(#"{"ca_file": "/etc/consul.d/ca.pem", "cert_file": "/etc/consul.d/a.pem", "key_file": "/etc/consul.d/a-key.pem", "tls_prefer_server_cipher_suites": true}"#)
        #expect(c.warnings.contains("The 'ca_file' field is deprecated. Use the 'tls.defaults.ca_file' field instead."))
        #expect(c.warnings.contains("The 'cert_file' field is deprecated. Use the 'tls.defaults.cert_file' field instead."))
        #expect(c.warnings.contains("The 'key_file' field is deprecated. Use the 'tls.defaults.key_file' field instead."))
        #expect(c.warnings.contains("The 'tls_prefer_server_cipher_suites' field is deprecated and will be ignored."))
        // verify_* = true asks for TLS this build does not have: refused like tls.defaults.verify_*.
        #expect(failure(#"{"verify_incoming": true}"#) != nil)
    }
}

/// `-hcl` fragments come after the flags, as Consul applies them; `disable_keyring_file`.
@Suite struct FragmentConfigTests {
    @Test func fragmentsWinOverFlags() throws {
        var flags = ConfigLayer()
        flags.dataDir = "/var/consul"
        flags.datacenter = "from-flag"
        let fragment = try ConfigFile.parseHCL(Array("datacenter = \"from-hcl\"\ndisable_keyring_file = true".utf8), path: "flags-0.hcl")
        let c = try ConfigBuilder.build(dev: false, files: [], flags: flags, fragments: [fragment], hostname: "h")
        #expect(c.datacenter == "from-hcl" && c.disableKeyringFile)
    }
}

/// `limits.txn_max_req_len` and `limits.http_max_conns_per_client`: Consul's defaults, values, errors.
@Suite struct LimitsConfigTests {
    @Test func values() throws {
        let d = try build("{}")
        #expect(d.txnMaxReqLen == 524_288 && d.httpMaxConnsPerClient == 200)
        let c = try build(#"{"limits": {"txn_max_req_len": 1048576, "http_max_conns_per_client": 0}}"#)
        #expect(c.txnMaxReqLen == 1_048_576 && c.httpMaxConnsPerClient == 0 && c.ignoredKeys.isEmpty)
        #expect(failure(#"{"limits": {"txn_max_req_len": 0}}"#) == "limits.txn_max_req_len must be positive")
        #expect(failure(#"{"limits": {"http_max_conns_per_client": -1}}"#) == "limits.http_max_conns_per_client cannot be negative")
    }
}

/// `dns_config { soa, recursor_strategy }`.
@Suite struct DNSSOAConfigTests {
    @Test func values() throws {
        let d = try build("{}").dns
        #expect(d.soaRefresh == 3600 && d.soaRetry == 600 && d.soaExpire == 86400 && d.soaMinTTL == 0 && d.recursorStrategy == "sequential")
        let c = try build(#"{"dns_config": {"soa": {"refresh": 1200, "retry": 60, "expire": 7200, "min_ttl": 30}, "recursor_strategy": "random"}}"#)
        #expect(c.dns.soaRefresh == 1200 && c.dns.soaRetry == 60 && c.dns.soaExpire == 7200 && c.dns.soaMinTTL == 30)
        #expect(c.dns.recursorStrategy == "random" && c.ignoredKeys.isEmpty)
        #expect(failure(#"{"dns_config": {"recursor_strategy": "fastest"}}"#) == #"dns_config.recursor_strategy: invalid strategy "fastest", must be one of "sequential" or "random""#)
        #expect(failure(#"{"dns_config": {"soa": {"refresh": -1}}}"#)?.hasSuffix("soa.refresh must be between 0 and 4294967295") == true)
    }
}
