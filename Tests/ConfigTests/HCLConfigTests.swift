import Config
import ConsulAPI
import Testing

private let realisticHCL = """
# /etc/consul.d/consul.hcl
datacenter = "east"
data_dir   = "/opt/consul"
node_name  = "web-1"
server     = false
log_level  = "INFO"
retry_join = ["10.0.0.10", "10.0.0.11",]

ports {
  http = 8500
  dns  = -1
  grpc = 8502
}

ui_config {
  enabled = true
}

service {
  name = "web"
  id   = "web-1"
  port = 80
  tags = ["v1", "primary"]
  meta {
    version = "1.2"
  }
  check {
    id       = "web-http"
    http     = "http://localhost:80/health"
    interval = "10s"
    timeout  = "1s"
  }
}

checks = [
  {
    id   = "disk"
    args = ["/usr/local/bin/check_disk", "-w", "10%"]
    interval = "30s"
  },
  {
    id  = "mem"
    ttl = "30s"
  },
]

watches = [{ type = "key", key = "config/web", args = ["/usr/local/bin/reload.sh"] }]
"""

private let equivalentJSON = """
{
  "datacenter": "east",
  "data_dir": "/opt/consul",
  "node_name": "web-1",
  "server": false,
  "log_level": "INFO",
  "retry_join": ["10.0.0.10", "10.0.0.11"],
  "ports": {"http": 8500, "dns": -1, "grpc": 8502},
  "ui_config": {"enabled": true},
  "service": {
    "name": "web", "id": "web-1", "port": 80, "tags": ["v1", "primary"],
    "meta": {"version": "1.2"},
    "check": {"id": "web-http", "http": "http://localhost:80/health", "interval": "10s", "timeout": "1s"}
  },
  "checks": [
    {"id": "disk", "args": ["/usr/local/bin/check_disk", "-w", "10%"], "interval": "30s"},
    {"id": "mem", "ttl": "30s"}
  ],
  "watches": [{"type": "key", "key": "config/web", "args": ["/usr/local/bin/reload.sh"]}]
}
"""

private func hclLayer(_ text: String, path: String = "/etc/consul.d/a.hcl") throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parse(Array(text.utf8), path: path, format: .hcl)
}

private func jsonLayer(_ text: String, path: String = "/etc/consul.d/a.json") throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parse(Array(text.utf8), path: path, format: .json)
}

@Suite("HCL config files")
struct HCLConfigTests {
    /// Proves a realistic HCL config parses to the same document, and the same layer, as its JSON twin.
    @Test func hclEqualsEquivalentJSON() throws {
        let fromHCL = try HCLParser.parse(Array(realisticHCL.utf8), path: "a.hcl")
        let fromJSON = try JSONParser.parse(equivalentJSON)
        #expect(fromHCL == fromJSON)
        let hcl = try hclLayer(realisticHCL)
        let json = try jsonLayer(equivalentJSON)
        #expect(hcl == json)
        #expect(hcl.datacenter == "east" && hcl.dataDir == "/opt/consul" && hcl.nodeName == "web-1")
        #expect(hcl.retryJoin == ["10.0.0.10", "10.0.0.11"])
        #expect(hcl.httpPort == 8500 && hcl.dnsPort == -1 && hcl.grpcPort == 8502)
        #expect(hcl.uiEnabled == true)
        #expect(hcl.services.count == 1)
        #expect(hcl.services.first?["name"] == .string("web"))
        #expect(hcl.services.first?["check"]?["interval"] == .string("10s"))
        #expect(hcl.checks.map { $0["id"] } == [.string("disk"), .string("mem")])
        #expect(hcl.ignoredKeys.isEmpty)
        #expect(hcl.watches.count == 1)
        let watch = try AgentWatchDefinition.parse(hcl.watches[0])
        #expect(watch.plan.key == "config/web" && watch.handler == .args(["/usr/local/bin/reload.sh"]))
    }

    /// Proves every key a .json file accepts is accepted by .hcl with the same effect.
    @Test func hclSupportsTheJSONKeys() throws {
        let l = try hclLayer("""
        node_name = "n1"
        Datacenter = "east"
        data_dir = "/d"
        server = true
        bootstrap_expect = 3
        bind_addr = "10.0.0.1"
        advertise_addr = "10.0.0.2"
        client_addr = "0.0.0.0"
        log_level = "warn"
        ui = "true"
        leave_on_terminate = false
        skip_leave_on_interrupt = true
        start_join = ["c"]
        default_query_time = "30s"
        max_query_time = 120000000000
        ports { http = 8501, GRPC_TLS = 8503, serf_lan = 8311, serf_wan = -1, server = 8310, https = 8443 }
        limits { kv_max_value_size = 1024 }
        node_id = "0123abcd-abcd-4ef0-8123-456789abcdef"
        telemetry { prometheus_retention_time = "1m" }
        """)
        #expect(l.nodeName == "n1" && l.datacenter == "east" && l.dataDir == "/d")
        #expect(l.server == true && l.bootstrapExpect == 3)
        #expect(l.bindAddr == "10.0.0.1" && l.advertiseAddr == "10.0.0.2" && l.clientAddr == "0.0.0.0")
        #expect(l.logLevel == "warn" && l.uiEnabled == true)
        #expect(l.leaveOnTerminate == false && l.skipLeaveOnInterrupt == true)
        #expect(l.retryJoin == ["c"])
        #expect(l.defaultQueryTimeNanoseconds == 30_000_000_000 && l.maxQueryTimeNanoseconds == 120_000_000_000)
        #expect(l.httpPort == 8501 && l.grpcTLSPort == 8503 && l.serfLanPort == 8311 && l.serfWanPort == -1)
        #expect(l.serverPort == 8310 && l.httpsPort == 8443)
        #expect(l.kvMaxValueSize == 1024)
        #expect(l.nodeID == "0123abcd-abcd-4ef0-8123-456789abcdef")
        #expect(l.ignoredKeys.isEmpty && l.prometheusRetentionNanoseconds == 60_000_000_000)
    }

    /// Proves HCL files refuse what JSON files refuse, with the file and key named.
    @Test func hclKeyErrorsNameFileAndKey() {
        func message(_ text: String) -> String? {
            do { _ = try hclLayer(text); return nil } catch { return error.message }
        }
        #expect(message("bogus_key = 1") == "Error parsing /etc/consul.d/a.hcl: invalid config key bogus_key")
        #expect(message("ports { htttp = 1 }") == "Error parsing /etc/consul.d/a.hcl: invalid config key ports.htttp")
        #expect(message("server = \"yes\"") == "Error parsing /etc/consul.d/a.hcl: server: expected a boolean")
        // Two `ports` blocks are a list, which `ports` does not accept (as in Consul).
        #expect(message("ports { http = 1 }\nports { dns = 2 }") == "Error parsing /etc/consul.d/a.hcl: ports: expected an object")
        #expect(message("service = \"web\"") == "Error parsing /etc/consul.d/a.hcl: service: expected an object or a list of objects")
        #expect(message("services = [{ name = \"a\" }, 3]") == "Error parsing /etc/consul.d/a.hcl: services[1]: expected an object")
    }

    /// Proves repeated `service {}` blocks, `services` blocks and `services = [...]` all append, in order.
    @Test func hclServiceForms() throws {
        let l = try hclLayer("""
        service { name = "a" }
        service { name = "b" }
        services { name = "c" }
        services = [{ name = "d" }, { name = "e" }]
        check { id = "c1" }
        checks { id = "c2" }
        checks { id = "c3" }
        """)
        // `services = [...]` replaces the earlier `services` block in the same file (last value wins).
        #expect(l.services.map { $0["name"] } == [.string("a"), .string("b"), .string("d"), .string("e")])
        #expect(l.checks.map { $0["id"] } == [.string("c1"), .string("c2"), .string("c3")])
    }

    /// Proves a service's `checks` written as one HCL block is stored as a one-element list,
    /// the shape JSON's `"checks": [{…}]` has, and a singular `check` stays an object.
    @Test func serviceListFieldsNormalized() throws {
        let hcl = try hclLayer("""
        service {
          name = "web"
          checks { id = "one", ttl = "10s" }
          check { id = "single", ttl = "5s" }
          connect { sidecar_service { proxy { upstreams { destination_name = "db" } } } }
        }
        """)
        let json = try jsonLayer("""
        {"service": {"name": "web", "checks": [{"id": "one", "ttl": "10s"}], "check": {"id": "single", "ttl": "5s"},
         "connect": {"sidecar_service": {"proxy": {"upstreams": [{"destination_name": "db"}]}}}}}
        """)
        #expect(hcl.services == json.services)
        #expect(hcl.services.first?["checks"]?.arrayValue?.count == 1)
        #expect(hcl.services.first?["check"]?.objectValue != nil)
    }
}
