import Foundation
import HTTP1
import Testing

/// Catalog, health and agent service APIs of a real dev agent over real sockets.
@Suite struct CatalogLiveTests {
    private func register(_ agent: AgentProcess, _ json: String) throws -> HTTPClientResponseAlias {
        try HTTP.request("PUT", "/v1/catalog/register", port: agent.httpPort, body: Array(json.utf8))
    }

    /// Catalog registration shows up in nodes, services, service and node reads; deregistration cascades.
    @Test func catalogRegisterAndRead() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "self-node"])
        let r = try register(agent, #"{"Node":"web-1","Address":"10.0.0.5","NodeMeta":{"rack":"r1"},"Service":{"Service":"web","Tags":["v1","prod"],"Port":8080},"Check":{"CheckID":"web-alive","Name":"web alive","Status":"passing","ServiceID":"web"}}"#)
        #expect(r.status == 200)
        #expect(r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "true")
        let nodes = try #require(try HTTP.get("/v1/catalog/nodes", port: agent.httpPort).json as? [[String: Any]])
        #expect(nodes.compactMap { $0["Node"] as? String }.contains("web-1"))
        let services = try #require(try HTTP.get("/v1/catalog/services", port: agent.httpPort).json as? [String: [String]])
        #expect(services["web"] == ["prod", "v1"])
        let instances = try #require(try HTTP.get("/v1/catalog/service/web?tag=prod", port: agent.httpPort).json as? [[String: Any]])
        #expect(instances.count == 1)
        #expect(instances.first?["ServiceAddress"] as? String == "")
        #expect(instances.first?["Address"] as? String == "10.0.0.5")
        #expect(instances.first?["ServicePort"] as? Int == 8080)
        #expect((try HTTP.get("/v1/catalog/service/web?tag=nope", port: agent.httpPort).json as? [Any])?.isEmpty == true)
        let node = try #require(try HTTP.get("/v1/catalog/node/web-1", port: agent.httpPort).json as? [String: Any])
        #expect(((node["Services"] as? [String: Any])?["web"]) != nil)
        #expect(try HTTP.get("/v1/catalog/node/nobody", port: agent.httpPort).bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "null")
        let meta = try #require(try HTTP.get("/v1/catalog/nodes?node-meta=rack:r1", port: agent.httpPort).json as? [[String: Any]])
        #expect(meta.compactMap { $0["Node"] as? String } == ["web-1"])
        // Deregistering the node removes its services and checks.
        let d = try HTTP.request("PUT", "/v1/catalog/deregister", port: agent.httpPort, body: Array(#"{"Node":"web-1"}"#.utf8))
        #expect(d.status == 200)
        #expect((try HTTP.get("/v1/catalog/service/web", port: agent.httpPort).json as? [Any])?.isEmpty == true)
        #expect((try HTTP.get("/v1/health/checks/web", port: agent.httpPort).json as? [Any])?.isEmpty == true)
    }

    /// health/service?passing drops instances with any non-passing check, node checks included,
    /// and a blocking health query wakes when a check changes.
    @Test func healthServicePassingAndBlocking() throws {
        let agent = try AgentProcess()
        _ = try register(agent, #"{"Node":"a","Address":"10.0.0.1","Service":{"ID":"api-a","Service":"api","Port":1},"Checks":[{"CheckID":"api-a-http","Name":"http","Status":"passing","ServiceID":"api-a"}]}"#)
        _ = try register(agent, #"{"Node":"b","Address":"10.0.0.2","Service":{"ID":"api-b","Service":"api","Port":2},"Checks":[{"CheckID":"node-b","Name":"node","Status":"warning"}]}"#)
        let all = try #require(try HTTP.get("/v1/health/service/api", port: agent.httpPort).json as? [[String: Any]])
        #expect(all.count == 2)
        let passing = try HTTP.get("/v1/health/service/api?passing", port: agent.httpPort)
        let rows = try #require(passing.json as? [[String: Any]])
        #expect(rows.count == 1)
        #expect((rows.first?["Service"] as? [String: Any])?["ID"] as? String == "api-a")
        let index = try #require(passing.index)
        #expect(try HTTP.get("/v1/health/service/api?passing=bogus", port: agent.httpPort).status == 400)

        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var woke: [[String: Any]]?
        Thread.detachNewThread {
            woke = (try? HTTP.get("/v1/health/service/api?passing&index=\(index)&wait=30s", port: agent.httpPort))?.json as? [[String: Any]]
            done.signal()
        }
        // A change to an unrelated service must not answer it: had it, the answer would hold one row.
        _ = try register(agent, #"{"Node":"c","Address":"10.0.0.3","Service":{"Service":"other"}}"#)
        _ = try register(agent, #"{"Node":"b","Address":"10.0.0.2","Checks":[{"CheckID":"node-b","Name":"node","Status":"passing"}]}"#)
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(woke?.count == 2)
        let state = try #require(try HTTP.get("/v1/health/state/passing", port: agent.httpPort).json as? [[String: Any]])
        #expect(state.contains { $0["CheckID"] as? String == "node-b" })
        // Consul does not validate the state: an unknown one matches nothing.
        #expect((try HTTP.get("/v1/health/state/bogus", port: agent.httpPort).json as? [Any])?.isEmpty == true)
    }

    /// Malformed catalog registrations are refused and nothing is registered.
    @Test func malformedRegistrations() throws {
        let agent = try AgentProcess()
        let bad = try register(agent, "{not json")
        #expect(bad.status == 400)
        #expect(bad.bodyText.hasPrefix("Request decode failed"))
        let noNode = try register(agent, #"{"Address":"1.2.3.4"}"#)
        #expect(noNode.status == 500)
        #expect(noNode.bodyText == "Must provide node")
        let noAddress = try register(agent, #"{"Node":"x"}"#)
        #expect(noAddress.bodyText == "Must provide address if SkipNodeUpdate is not set")
        let unknownService = try register(agent, #"{"Node":"x","Address":"1.1.1.1","Check":{"CheckID":"c","Name":"c","ServiceID":"nope"}}"#)
        #expect(unknownService.status == 500)
        #expect(unknownService.bodyText.contains("Unknown service ID 'nope'"))
        let nodes = try #require(try HTTP.get("/v1/catalog/nodes", port: agent.httpPort).json as? [[String: Any]])
        #expect(!nodes.contains { $0["Node"] as? String == "x" })
        #expect(try HTTP.get("/v1/catalog/service/", port: agent.httpPort).status == 400)
        #expect(try HTTP.get("/v1/health/service/web?filter=Service.Port%20%3D%3D", port: agent.httpPort).status == 400)
    }

    /// The agent registers its own node with serfHealth, and the server's `consul` service.
    @Test func agentRegistersItself() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "me"])
        var services: [String: [String]] = [:]
        for _ in 0..<200 {
            services = (try HTTP.get("/v1/catalog/services", port: agent.httpPort).json as? [String: [String]]) ?? [:]
            if services["consul"] != nil { break }
            usleep(10_000)
        }
        #expect(services["consul"] == [])
        let checks = try #require(try HTTP.get("/v1/health/node/me", port: agent.httpPort).json as? [[String: Any]])
        let serf = checks.first { $0["CheckID"] as? String == "serfHealth" }
        #expect(serf?["Status"] as? String == "passing")
        #expect(serf?["Output"] as? String == "Agent alive and reachable")
    }
}

typealias HTTPClientResponseAlias = HTTPClientResponse
