import Config
import Testing

@Suite("performance config block")
struct PerformanceConfigTests {
    private func build(_ json: String) throws(ConfigError) -> AgentConfig {
        let file = try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/a.json")
        var flags = ConfigLayer()
        flags.dataDir = "/var/consul"
        return try ConfigBuilder.build(dev: false, files: [file], flags: flags, hostname: "h")
    }

    /// Proves `performance.raft_multiplier` reaches AgentConfig (Consul's default 5), values outside
    /// 1–10 are refused with Consul's message, and other performance keys are only warned about.
    @Test func raftMultiplier() throws {
        #expect(try build("{}").raftMultiplier == 5)
        let fast = try build(#"{"performance": {"raft_multiplier": 1, "rpc_hold_timeout": "7s"}}"#)
        #expect(fast.raftMultiplier == 1)
        #expect(fast.ignoredKeys == ["performance.rpc_hold_timeout"])
        for bad in [0, 11] {
            #expect(throws: ConfigError("performance.raft_multiplier cannot be \(bad). Must be between 1 and 10")) {
                try build("{\"performance\": {\"raft_multiplier\": \(bad)}}")
            }
        }
    }
}
