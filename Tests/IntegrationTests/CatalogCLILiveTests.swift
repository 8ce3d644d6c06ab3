import Foundation
import Testing

/// `consul catalog`, `services`, `maint` and `reload` against a real agent.
@Suite struct CatalogCLILiveTests {
    /// catalog datacenters/nodes/services print Consul's tables; services register/deregister
    /// go through the agent API; maint toggles maintenance checks.
    @Test func catalogServicesMaintReload() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "cli-node", "-datacenter", "east"])
        let addr = ["-http-addr", agent.httpAddress]
        #expect(try runCLI(["catalog", "datacenters"] + addr).stdout == "east\n")
        let reg = try runCLI(["services", "register"] + addr + ["-name", "pay", "-port", "9090", "-tag", "v1", "-tag", "blue"])
        #expect(reg.status == 0)
        #expect(reg.stdout == "Registered service: pay\n")
        var listing = ""
        for _ in 0..<200 {
            listing = try runCLI(["catalog", "services"] + addr + ["-tags"]).stdout
            if listing.contains("pay") { break }
            usleep(10_000)
        }
        #expect(listing.contains("consul"))
        #expect(listing.split(separator: "\n").contains { $0.hasPrefix("pay") && $0.hasSuffix("blue,v1") })
        let nodes = try runCLI(["catalog", "nodes"] + addr)
        let lines = nodes.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Node") == true)
        #expect(lines.contains { $0.hasPrefix("cli-node") && $0.contains("127.0.0.1") && $0.hasSuffix("east") })
        let none = try runCLI(["catalog", "nodes"] + addr + ["-node-meta", "rack=none"])
        #expect(none.status == 0)
        #expect(none.stderr == "No nodes match the given query - try expanding your search.\n")

        #expect(try runCLI(["maint"] + addr + ["-enable", "-reason", "upgrading"]).stdout == "Node maintenance is now enabled\n")
        let status = try runCLI(["maint"] + addr)
        #expect(status.stdout.contains("Node:"))
        #expect(status.stdout.contains("Reason: upgrading"))
        #expect(try runCLI(["maint"] + addr + ["-enable", "-service", "pay"]).stdout == "Service maintenance is now enabled for \"pay\"\n")
        let health = try HTTP.get("/v1/agent/health/service/id/pay?format=text", port: agent.httpPort)
        #expect(health.status == 503)
        #expect(health.bodyText == "critical")
        #expect(try runCLI(["maint"] + addr + ["-disable"]).status == 0)
        #expect(try runCLI(["maint"] + addr + ["-enable", "-disable"]).status == 1)

        #expect(try runCLI(["reload"] + addr).stdout == "Configuration reload triggered\n")
        let dereg = try runCLI(["services", "deregister"] + addr + ["-id", "pay"])
        #expect(dereg.stdout == "Deregistered service: pay\n")
        let services = try #require(try HTTP.get("/v1/agent/services", port: agent.httpPort).json as? [String: Any])
        #expect(services["pay"] == nil)
    }

    /// `consul leave` stops the agent gracefully (exit 0).
    @Test func leaveStopsTheAgent() throws {
        let agent = try AgentProcess()
        let result = try runCLI(["leave", "-http-addr", agent.httpAddress])
        #expect(result.status == 0)
        #expect(result.stdout == "Graceful leave complete\n")
        #expect(agent.waitForExit(seconds: 10) == 0)
    }
}
