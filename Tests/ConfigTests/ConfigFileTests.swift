import Config
import Testing

private func parse(_ json: String) throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/a.json")
}

private func parseError(_ json: String) -> String? {
    do { _ = try parse(json); return nil } catch { return error.message }
}

@Suite("ConfigFile.parseJSON")
struct ConfigFileTests {
    /// Proves the supported keys land in the layer with their types, and key names match case-insensitively.
    @Test func readsKnownKeys() throws {
        let l = try parse("""
        {"node_name":"n1","Datacenter":"east","data_dir":"/d","server":true,"bootstrap_expect":3,
         "bind_addr":"10.0.0.1","advertise_addr":"10.0.0.2","client_addr":"0.0.0.0","log_level":"warn",
         "ui":"true","leave_on_terminate":false,"retry_join":["a","b"],"start_join":["c"],
         "default_query_time":"30s","max_query_time":120000000000,
         "ports":{"http":8501,"dns":-1,"grpc":8502,"GRPC_TLS":8503},
         "ui_config":{"enabled":true},"limits":{"kv_max_value_size":1024},
         "node_id":"0123abcd-abcd-4ef0-8123-456789abcdef"}
        """)
        #expect(l.nodeName == "n1")
        #expect(l.datacenter == "east")
        #expect(l.dataDir == "/d")
        #expect(l.server == true)
        #expect(l.bootstrapExpect == 3)
        #expect(l.bindAddr == "10.0.0.1")
        #expect(l.advertiseAddr == "10.0.0.2")
        #expect(l.clientAddr == "0.0.0.0")
        #expect(l.logLevel == "warn")
        #expect(l.uiEnabled == true)
        #expect(l.leaveOnTerminate == false)
        #expect(l.retryJoin == ["a", "b", "c"])
        #expect(l.defaultQueryTimeNanoseconds == 30_000_000_000)
        #expect(l.maxQueryTimeNanoseconds == 120_000_000_000)
        #expect(l.httpPort == 8501 && l.dnsPort == -1 && l.grpcPort == 8502 && l.grpcTLSPort == 8503)
        #expect(l.kvMaxValueSize == 1024)
        #expect(l.nodeID == "0123abcd-abcd-4ef0-8123-456789abcdef")
        #expect(l.ignoredKeys.isEmpty)
        #expect(l.serfLanPort == nil)
    }

    /// Proves an unknown top-level key is an error that names the key and the file.
    @Test func unknownKeyIsAnError() {
        let message = parseError(#"{"datacenter":"x","bogus_key":1}"#)
        #expect(message == "Error parsing /etc/consul.d/a.json: invalid config key bogus_key")
        #expect(parseError(#"{"ports":{"htttp":1}}"#)?.contains("ports.htttp") == true)
    }

    /// Proves keys Consul knows but this build does not act on are collected as ignoredKeys, not refused.
    @Test func knownButUnimplementedKeysAreIgnored() throws {
        let l = try parse("""
        {"telemetry":{"prometheus_retention_time":"1m","circonus_api_token":"x"},"services":[],"disable_update_check":true,
         "limits":{"rpc_rate":10},"ui_config":{"metrics_provider":"prometheus"},
         "ports":{"sidecar_min_port":21000}}
        """)
        #expect(l.prometheusRetentionNanoseconds == 60_000_000_000)
        #expect(l.ignoredKeys == ["telemetry.circonus_api_token", "disable_update_check", "limits.rpc_rate",
                                  "ui_config.metrics_provider", "ports.sidecar_min_port"])
    }

    /// Proves values of the wrong type are refused with the key in the message.
    @Test(arguments: [
        (#"{"server":"yes"}"#, "server: expected a boolean"),
        (#"{"node_name":5}"#, "node_name: expected a string"),
        (#"{"bootstrap_expect":"three"}"#, "bootstrap_expect: expected an integer"),
        (#"{"retry_join":"a"}"#, "retry_join: expected a list of strings"),
        (#"{"retry_join":[1]}"#, "retry_join: expected a string"),
        (#"{"ports":8500}"#, "ports: expected an object"),
        (#"{"ports":{"http":"x"}}"#, "ports.http: expected an integer"),
        (#"{"max_query_time":"10"}"#, "max_query_time: invalid duration"),
        (#"{"default_query_time":"-1s"}"#, "default_query_time: invalid duration"),
        (#"{"limits":[]}"#, "limits: expected an object"),
    ])
    func wrongTypes(_ json: String, _ message: String) {
        #expect(parseError(json) == "Error parsing /etc/consul.d/a.json: \(message)")
    }

    /// Proves malformed JSON and a non-object document are refused with the file's path.
    @Test func malformedDocuments() {
        let broken = parseError(#"{"server": tru}"#)
        #expect(broken?.hasPrefix("Error parsing /etc/consul.d/a.json: invalid literal") == true)
        #expect(parseError("[]") == "Error parsing /etc/consul.d/a.json: top level must be an object")
        #expect(parseError("") != nil)
    }

    /// Proves a parsed file feeds the builder: the file's values apply and flags still win.
    @Test func fileFeedsBuilder() throws {
        let file = try parse(#"{"datacenter":"east","data_dir":"/d","log_level":"trace","retry_join":["x"]}"#)
        var cli = ConfigLayer()
        cli.logLevel = "info"
        cli.retryJoin = ["y"]
        let c = try ConfigBuilder.build(dev: false, files: [file], flags: cli, hostname: "h")
        #expect(c.datacenter == "east")
        #expect(c.logLevel == "INFO")
        #expect(c.retryJoin == ["x", "y"])
    }
}
