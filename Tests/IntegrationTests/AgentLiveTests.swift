import Foundation
import Testing

/// The agent process itself: flags, identity endpoints and signals.
@Suite struct AgentLiveTests {
    /// Status and self endpoints describe the single dev server.
    @Test func identityEndpoints() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "n1", "-datacenter", "east"])
        let serverPort = agent.ports["server-port"]!
        #expect(try HTTP.get("/v1/status/leader", port: agent.httpPort).json as? String == "127.0.0.1:\(serverPort)")
        #expect(try HTTP.get("/v1/status/peers", port: agent.httpPort).json as? [String] == ["127.0.0.1:\(serverPort)"])
        let me = try #require(try HTTP.get("/v1/agent/self", port: agent.httpPort).json as? [String: Any])
        let config = try #require(me["Config"] as? [String: Any])
        #expect(config["NodeName"] as? String == "n1")
        #expect(config["Datacenter"] as? String == "east")
        #expect(config["Server"] as? Bool == true)
        let member = try #require(me["Member"] as? [String: Any])
        #expect(member["Name"] as? String == "n1")
        #expect(member["Status"] as? Int == 1)
        let members = try #require(try HTTP.get("/v1/agent/members", port: agent.httpPort).json as? [[String: Any]])
        #expect(members.count == 1)
        #expect((members[0]["Tags"] as? [String: String])?["dc"] == "east")
        #expect((members[0]["Tags"] as? [String: String])?["role"] == "consul")
        #expect(agent.log.contains("==> Starting Consul agent..."))
        #expect(agent.log.contains("Node name: 'n1'"))
        #expect(agent.log.contains("[INFO]  agent: Consul agent running!"))
    }

    /// SIGHUP reloads without stopping; SIGTERM stops a dev server (no graceful leave) and is a
    /// clean stop: exit 0 (Consul exits 1 here; docs/packaging.md).
    @Test func signals() throws {
        let agent = try AgentProcess()
        agent.signal(SIGHUP)
        #expect(try HTTP.get("/v1/status/leader", port: agent.httpPort).status == 200)
        agent.signal(SIGTERM)
        #expect(agent.waitForExit(seconds: 10) == 0)
        #expect(agent.log.contains("Graceful shutdown disabled. Exiting"))
    }

    /// A client agent leaves gracefully on SIGINT and exits 0.
    @Test func clientExitsZeroOnInterrupt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let agent = try AgentProcess(extraArgs: ["-data-dir", dir.path, "-bind", "127.0.0.1"], dev: false)
        let nodeID = try String(contentsOf: dir.appendingPathComponent("node-id"), encoding: .utf8)
        #expect(nodeID.count == 36)
        agent.signal(SIGINT)
        #expect(agent.waitForExit(seconds: 10) == 0)
    }

    /// Bad flags and invalid configuration are refused with a message and exit 1.
    @Test(arguments: [
        ["agent", "-dev", "-no-such-flag"],
        ["agent"],
        ["agent", "-dev", "-http-port", "notaport"],
        ["agent", "-dev", "-datacenter", "Bad DC!"],
        ["agent", "-dev", "-log-level", "loud"],
        ["agent", "-dev", "-bootstrap-expect", "3"],
        ["agent", "-dev", "-config-file", "/nonexistent/x.json"],
    ])
    func badAgentInvocations(args: [String]) throws {
        let result = try runCLI(args)
        #expect(result.status == 1)
        #expect(!result.stderr.isEmpty)
    }

    /// A JSON config file sets values; flags given on the command line win over it.
    @Test func configFileThenFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try Data(#"{"node_name": "from-file", "datacenter": "filedc", "service": {"name": "ignored-for-now"}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let agent = try AgentProcess(extraArgs: ["-config-file", file.path, "-datacenter", "flagdc"])
        let me = try #require(try HTTP.get("/v1/agent/self", port: agent.httpPort).json as? [String: Any])
        let config = try #require(me["Config"] as? [String: Any])
        #expect(config["NodeName"] as? String == "from-file")
        #expect(config["Datacenter"] as? String == "flagdc")
        let badFile = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
        try Data(#"{"no_such_key": 1}"#.utf8).write(to: badFile)
        defer { try? FileManager.default.removeItem(at: badFile) }
        let refused = try runCLI(["agent", "-dev", "-config-file", badFile.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("no_such_key"))
    }
}
