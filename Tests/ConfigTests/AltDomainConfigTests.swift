import Config
import Testing

@Suite("alt_domain config key")
struct AltDomainConfigTests {
    private func build(_ json: String, flag: String? = nil) throws(ConfigError) -> AgentConfig {
        let file = try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/a.json")
        var flags = ConfigLayer()
        flags.dataDir = "/var/consul"
        flags.altDomain = flag
        return try ConfigBuilder.build(dev: false, files: [file], flags: flags, hostname: "h")
    }

    /// Proves `alt_domain` reaches AgentConfig (no longer ignored), a flag overrides the file,
    /// and names that would be ambiguous with the query grammar are refused (agent.md §1.2).
    @Test func altDomainIsParsedLayeredAndValidated() throws {
        let c = try build(#"{"alt_domain":"example.test."}"#)
        #expect(c.altDomain == "example.test.")
        #expect(c.ignoredKeys.isEmpty)
        #expect(try build("{}").altDomain == "")
        #expect(try build(#"{"alt_domain":"a."}"#, flag: "b.").altDomain == "b.")
        for bad in ["service.example.", "node.x.", "addr.", "dc1.example."] {
            #expect(throws: ConfigError.self) { try build("{\"alt_domain\":\"\(bad)\"}") }
        }
    }
}
