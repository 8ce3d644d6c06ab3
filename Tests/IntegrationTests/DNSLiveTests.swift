import Foundation
import Testing

/// The agent's DNS port answered by the real `dig` (bind9-dnsutils), over UDP and TCP.
@Suite struct DNSLiveTests {
    private func dig(_ agent: AgentProcess, _ args: [String]) throws -> String {
        try runTool(["dig", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "+time=2", "+tries=1"] + args)
    }

    /// Service A and SRV answers, tag filtering, node lookups, NXDOMAIN with SOA, REFUSED outside
    /// the domain, and health filtering, over UDP and TCP.
    @Test func serviceAndNodeLookups() throws {
        let agent = try AgentProcess()
        let register = #"{"Node":"web-1","Address":"10.0.0.5","Service":{"Service":"web","Port":8080,"Tags":["prod"]}}"#
        #expect(try HTTP.request("PUT", "/v1/catalog/register", port: agent.httpPort, body: Array(register.utf8)).status == 200)
        let sick = #"{"Node":"web-2","Address":"10.0.0.6","Service":{"Service":"web","Port":8080},"Check":{"CheckID":"down","Name":"down","Status":"critical","ServiceID":"web"}}"#
        #expect(try HTTP.request("PUT", "/v1/catalog/register", port: agent.httpPort, body: Array(sick.utf8)).status == 200)
        #expect(try dig(agent, ["web.service.consul", "+short"]) == "10.0.0.5\n")
        #expect(try dig(agent, ["web.service.consul", "+short", "+tcp"]) == "10.0.0.5\n")
        #expect(try dig(agent, ["web.service.consul", "SRV", "+short"]) == "1 1 8080 web-1.node.dc1.consul.\n")
        #expect(try dig(agent, ["_web._prod.service.consul", "SRV", "+short"]) == "1 1 8080 web-1.node.dc1.consul.\n")
        #expect(try dig(agent, ["prod.web.service.dc1.consul", "+short"]) == "10.0.0.5\n")
        #expect(try dig(agent, ["web-2.node.consul", "+short"]) == "10.0.0.6\n")
        let missing = try dig(agent, ["nope.service.consul"])
        #expect(missing.contains("status: NXDOMAIN"))
        #expect(missing.contains("SOA\tns.consul. hostmaster.consul."))
        #expect(try dig(agent, ["example.com"]).contains("status: REFUSED"))
        let srv = try dig(agent, ["web.service.consul", "SRV"])
        #expect(srv.contains("flags: qr aa"))
        #expect(srv.contains("web-1.node.dc1.consul.\t0\tIN\tA\t10.0.0.5"))
    }

    /// Repeated identical queries are answered from the answer cache, yet a catalog change shows
    /// in the very next answer (the cache is keyed by the catalog generation).
    @Test func cachedAnswersFollowCatalogChanges() throws {
        let agent = try AgentProcess()
        func register(_ address: String) throws {
            let body = #"{"Node":"cache-1","Address":"\#(address)","Service":{"Service":"cached","Port":80}}"#
            #expect(try HTTP.request("PUT", "/v1/catalog/register", port: agent.httpPort, body: Array(body.utf8)).status == 200)
        }
        // +nocookie: dig otherwise sends a fresh EDNS cookie each time, and every query differs.
        let ask = ["cached.service.consul", "+short", "+nocookie"]
        try register("10.9.0.1")
        for _ in 0..<8 { #expect(try dig(agent, ask) == "10.9.0.1\n") }
        try register("10.9.0.2")
        #expect(try dig(agent, ask) == "10.9.0.2\n")
        #expect(try HTTP.request("PUT", "/v1/catalog/deregister", port: agent.httpPort, body: Array(#"{"Node":"cache-1"}"#.utf8)).status == 200)
        #expect(try dig(agent, ask) == "")
        #expect(try dig(agent, ["cached.service.consul", "+nocookie"]).contains("status: NXDOMAIN"))
    }

    /// `-alt-domain`: the same service answered in both zones, each answer naming the zone asked.
    @Test func altDomainAnswersInTheZoneAsked() throws {
        let agent = try AgentProcess(extraArgs: ["-alt-domain", "alt.test"])
        let register = #"{"Node":"web-1","Address":"10.0.0.5","Service":{"Service":"web","Port":8080}}"#
        #expect(try HTTP.request("PUT", "/v1/catalog/register", port: agent.httpPort, body: Array(register.utf8)).status == 200)
        #expect(try dig(agent, ["web.service.alt.test", "+short"]) == "10.0.0.5\n")
        #expect(try dig(agent, ["web.service.alt.test", "SRV", "+short"]) == "1 1 8080 web-1.node.dc1.alt.test.\n")
        #expect(try dig(agent, ["web.service.consul", "SRV", "+short", "+tcp"]) == "1 1 8080 web-1.node.dc1.consul.\n")
        let missing = try dig(agent, ["nope.service.alt.test"])
        #expect(missing.contains("status: NXDOMAIN"))
        #expect(missing.contains("SOA\tns.alt.test. hostmaster.alt.test."))
        #expect(try dig(agent, ["web.service.other.test"]).contains("status: REFUSED"))
    }
}
