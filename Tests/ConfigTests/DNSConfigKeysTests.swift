import Config
import Testing

private func parse(_ json: String) throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/a.json")
}

private func build(_ files: [ConfigLayer], flags edit: (inout ConfigLayer) -> Void = { _ in }) throws(ConfigError) -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    edit(&flags)
    return try ConfigBuilder.build(dev: false, files: files, flags: flags, hostname: "h")
}

@Suite("DNS config keys")
struct DNSConfigKeysTests {
    /// Proves `domain`, `recursors` and the answer-shaping `dns_config` keys reach AgentConfig.
    @Test func dnsKeysReachAgentConfig() throws {
        let l = try parse("""
        {"domain":"example.", "recursors":["8.8.8.8","127.0.0.1:5353","8.8.8.8:53"],
         "dns_config":{"only_passing":true,"node_ttl":"10s","service_ttl":{"*":"5s","web":"30s"},
                       "udp_answer_limit":5,"a_record_limit":2,"enable_truncate":true,
                       "allow_stale":false,"max_stale":"1m","recursor_timeout":"3s"}}
        """)
        #expect(l.ignoredKeys.isEmpty)
        let c = try build([l])
        #expect(c.domain == "example.")
        #expect(c.recursors == ["8.8.8.8:53", "127.0.0.1:5353"])
        #expect(c.dns.onlyPassing)
        #expect(c.dns.nodeTTLSeconds == 10)
        #expect(c.dns.serviceTTLSeconds == ["*": 5, "web": 30])
        #expect(c.dns.udpAnswerLimit == 5)
        #expect(c.dns.aRecordLimit == 2)
        #expect(c.dns.enableTruncate)
        #expect(!c.dns.allowStale)
        #expect(c.dns.maxStaleNanoseconds == 60_000_000_000)
        #expect(c.dns.recursorTimeoutNanoseconds == 3_000_000_000)
    }

    /// Proves the defaults when nothing is configured.
    @Test func defaults() throws {
        let c = try build([])
        #expect(c.domain == "consul.")
        #expect(c.recursors.isEmpty)
        #expect(c.dns == AgentConfig.DNSSettings())
        #expect(c.dns.udpAnswerLimit == 3 && c.dns.recursorTimeoutNanoseconds == 2_000_000_000)
    }

    /// Proves HCL blocks work too and later sources override single keys only.
    @Test func hclAndLayering() throws {
        let hcl = try ConfigFile.parseHCL(Array("""
        domain = "corp"
        recursors = ["1.1.1.1"]
        dns_config {
          node_ttl = "7s"
          only_passing = true
        }
        """.utf8), path: "/etc/consul.d/a.hcl")
        let json = try parse(#"{"dns_config":{"only_passing":false}}"#)
        let c = try build([hcl, json]) { $0.domain = "flag."; $0.recursors = ["10.0.0.1:1053", "1.1.1.1"] }
        #expect(c.domain == "flag.")
        #expect(c.recursors == ["1.1.1.1:53", "10.0.0.1:1053"])
        #expect(c.dns.nodeTTLSeconds == 7)
        #expect(!c.dns.onlyPassing)
    }

    /// Proves unknown dns_config sub-keys are errors naming the key, and bad values are refused.
    @Test func errors() throws {
        func message(_ json: String) -> String? {
            do { _ = try build([try parse(json)]); return nil } catch { return error.message }
        }
        #expect(message(#"{"dns_config":{"bogus_key":1}}"#)?.contains("dns_config.bogus_key") == true)
        #expect(message(#"{"dns_config":{"node_ttl":"soon"}}"#)?.contains("dns_config.node_ttl") == true)
        #expect(message(#"{"dns_config":{"only_passing":"maybe"}}"#)?.contains("dns_config.only_passing") == true)
        #expect(message(#"{"dns_config":[1]}"#) != nil)
        #expect(message(#"{"recursors":["not-an-ip"]}"#)?.contains("not-an-ip") == true)
        #expect(message(#"{"recursors":[5]}"#)?.contains("recursors") == true)
        #expect(message(#"{"dns_config":{"udp_answer_limit":-1}}"#)?.contains("udp_answer_limit") == true)
        // Accepted but not acted on: collected as ignored, not refused.
        let l = try parse(#"{"dns_config":{"prefer_namespace":true,"soa":{"min_ttl":5}}}"#)
        #expect(l.ignoredKeys == ["dns_config.prefer_namespace"])
        #expect(l.dnsSOA == ["min_ttl": 5])
    }
}
