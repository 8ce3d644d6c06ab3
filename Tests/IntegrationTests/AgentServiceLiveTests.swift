import Foundation
import Glibc
import Testing

/// `agent/service/<id>` hash blocking and EnableTagOverride against a real agent.
@Suite struct AgentServiceLiveTests {
    private func put(_ agent: AgentProcess, _ path: String, _ json: String) throws -> HTTPClientResponseAlias {
        try HTTP.request("PUT", path, port: agent.httpPort, body: Array(json.utf8))
    }

    /// A `?hash=` request blocks while the service is unchanged and wakes on re-registration
    /// with different content, answering the new hash in header and body.
    @Test func hashBlockingWakesOnChange() throws {
        let agent = try AgentProcess()
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"hb","Port":1,"Tags":["a"]}"#).status == 200)
        let first = try HTTP.get("/v1/agent/service/hb", port: agent.httpPort)
        let hash = try #require(first.headers["X-Consul-ContentHash"])
        #expect((first.json as? [String: Any])?["ContentHash"] as? String == hash)
        // Timeout path: answers after the wait with the same hash.
        let timedOut = try HTTP.get("/v1/agent/service/hb?hash=\(hash)&wait=300ms", port: agent.httpPort)
        #expect(timedOut.headers["X-Consul-ContentHash"] == hash)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var woke: HTTPClientResponseAlias?
        Thread.detachNewThread {
            woke = try? HTTP.get("/v1/agent/service/hb?hash=\(hash)&wait=30s", port: agent.httpPort)
            done.signal()
        }
        usleep(200_000)
        // An identical re-registration keeps the hash: had it woken the query, the answer below
        // would show port 1.
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"hb","Port":1,"Tags":["a"]}"#).status == 200)
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"hb","Port":2,"Tags":["a"]}"#).status == 200)
        #expect(done.wait(timeout: .now() + 10) == .success)
        let newHash = woke?.headers["X-Consul-ContentHash"]
        #expect(newHash != nil && newHash != hash)
        #expect((woke?.json as? [String: Any])?["Port"] as? Int == 2)
    }

    private func catalogTags(_ agent: AgentProcess, _ name: String) throws -> [String]? {
        let rows = try HTTP.get("/v1/catalog/service/\(name)", port: agent.httpPort).json as? [[String: Any]]
        return rows?.first?["ServiceTags"] as? [String]
    }

    private func waitFor(_ cond: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<250 { if try cond() { return true }; usleep(20_000) }
        return false
    }

    /// With EnableTagOverride, tags changed through the catalog survive the agent's next sync
    /// (and are adopted locally); without it, the sync restores the agent's tags.
    @Test func enableTagOverrideKeepsCatalogTags() throws {
        let agent = try AgentProcess()
        let selfInfo = try HTTP.get("/v1/agent/self", port: agent.httpPort).json as? [String: Any]
        let node = try #require((selfInfo?["Config"] as? [String: Any])?["NodeName"] as? String)
        #expect(try put(agent, "/v1/agent/service/register",
                        #"{"Name":"eto","Port":1,"Tags":["a"],"EnableTagOverride":true,"Check":{"TTL":"30s"}}"#).status == 200)
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"plain","Port":2,"Tags":["a"]}"#).status == 200)
        #expect(try waitFor { try catalogTags(agent, "eto") == ["a"] && catalogTags(agent, "plain") == ["a"] })
        for (name, eto, port) in [("eto", true, 1), ("plain", false, 2)] {
            let body = #"{"Node":"\#(node)","Address":"127.0.0.1","Service":{"ID":"\#(name)","Service":"\#(name)","Port":\#(port),"Tags":["b"],"EnableTagOverride":\#(eto)}}"#
            #expect(try put(agent, "/v1/catalog/register", body).status == 200)
        }
        #expect(try catalogTags(agent, "eto") == ["b"])
        // A local change (TTL heartbeat) triggers a sync.
        #expect(try put(agent, "/v1/agent/check/pass/service:eto", "").status == 200)
        #expect(try waitFor { try catalogTags(agent, "plain") == ["a"] })
        #expect(try waitFor {
            let checks = try HTTP.get("/v1/health/service/eto", port: agent.httpPort).json as? [[String: Any]]
            let c = (checks?.first?["Checks"] as? [[String: Any]]) ?? []
            return c.contains { $0["CheckID"] as? String == "service:eto" && $0["Status"] as? String == "passing" }
        })
        #expect(try catalogTags(agent, "eto") == ["b"])
        let local = try HTTP.get("/v1/agent/service/eto", port: agent.httpPort).json as? [String: Any]
        #expect(local?["Tags"] as? [String] == ["b"])
    }

    private func agentCheck(_ agent: AgentProcess, _ id: String) throws -> [String: Any]? {
        (try HTTP.get("/v1/agent/checks", port: agent.httpPort).json as? [String: Any])?[id] as? [String: Any]
    }

    /// A TTL check's last status survives kill -9 while its saved expiry is in the future;
    /// after the expiry has passed, the restarted agent starts it critical again.
    @Test func ttlStateSurvivesRestart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttl-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["-server", "-bootstrap", "-data-dir", dir.path, "-bind", "127.0.0.1"]
        let first = try AgentProcess(extraArgs: args, dev: false)
        #expect(try put(first, "/v1/agent/service/register", #"{"Name":"ttl","Port":1,"Check":{"TTL":"60s"}}"#).status == 200)
        #expect(try put(first, "/v1/agent/check/register", #"{"Name":"short","TTL":"1s"}"#).status == 200)
        #expect(try put(first, "/v1/agent/check/pass/service:ttl?note=up", "").status == 200)
        #expect(try put(first, "/v1/agent/check/warn/short?note=soon", "").status == 200)
        usleep(300_000) // the state files are written off the loop
        first.stop() // SIGKILL
        sleep(1) // let the 1s TTL's saved expiry pass
        let second = try AgentProcess(extraArgs: args, dev: false, reusing: first.ports)
        defer { second.stop() }
        let ttl = try agentCheck(second, "service:ttl")
        #expect(ttl?["Status"] as? String == "passing")
        #expect(ttl?["Output"] as? String == "up")
        #expect(try agentCheck(second, "short")?["Status"] as? String == "critical")
    }
}
