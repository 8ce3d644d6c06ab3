import Foundation
import Glibc
import Testing

/// `/v1/catalog/connect/<s>` and `/v1/health/connect/<s>`: a service's `connect-proxy`
/// instances and Connect-native instances, with health and blocking like `health/service`.
@Suite struct ConnectLiveTests {
    func put(_ agent: AgentProcess, _ path: String, _ json: String) throws -> Int {
        try HTTP.request("PUT", path, port: agent.httpPort, body: Array(json.utf8)).status
    }

    @Test func proxiesAndNativeServices() throws {
        let agent = try AgentProcess()
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"web","Port":8080}"#) == 200)
        #expect(try put(agent, "/v1/agent/service/register",
            #"{"Kind":"connect-proxy","Name":"web-sidecar-proxy","Port":21000,"Proxy":{"DestinationServiceName":"web"},"Check":{"TTL":"30s"}}"#) == 200)
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"api","Port":9090,"Connect":{"Native":true}}"#) == 200)
        #expect(try put(agent, "/v1/agent/service/register", #"{"Kind":"connect-proxy","Name":"broken","Port":1}"#) == 400)

        var proxies: [[String: Any]] = []
        for _ in 0..<100 {
            proxies = (try HTTP.get("/v1/catalog/connect/web", port: agent.httpPort).json as? [[String: Any]]) ?? []
            if !proxies.isEmpty { break }
            usleep(50_000)
        }
        #expect(proxies.count == 1)
        #expect(proxies.first?["ServiceKind"] as? String == "connect-proxy")
        #expect(proxies.first?["ServicePort"] as? Int == 21000)
        #expect((proxies.first?["ServiceProxy"] as? [String: Any])?["DestinationServiceName"] as? String == "web")
        #expect(((try HTTP.get("/v1/catalog/service/web", port: agent.httpPort).json as? [Any]) ?? []).count == 1, "the proxy is not an instance of web")

        var native: [[String: Any]] = []
        for _ in 0..<100 {
            native = (try HTTP.get("/v1/catalog/connect/api", port: agent.httpPort).json as? [[String: Any]]) ?? []
            if !native.isEmpty { break }
            usleep(50_000)
        }
        #expect(native.first?["ServiceName"] as? String == "api")
        #expect((native.first?["ServiceConnect"] as? [String: Any])?["Native"] as? Bool == true)

        // Health: the proxy's TTL check is critical until it passes; a blocked ?passing query wakes.
        let before = try HTTP.get("/v1/health/connect/web?passing", port: agent.httpPort)
        #expect((before.json as? [Any])?.isEmpty == true)
        #expect(((try HTTP.get("/v1/health/connect/web", port: agent.httpPort).json as? [Any]) ?? []).count == 1)
        let index = try #require(before.index)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var woke: [[String: Any]]?
        Thread.detachNewThread {
            woke = (try? HTTP.get("/v1/health/connect/web?passing&index=\(index)&wait=20s", port: agent.httpPort))?.json as? [[String: Any]]
            done.signal()
        }
        usleep(100_000)
        #expect(try put(agent, "/v1/agent/check/pass/service:web-sidecar-proxy", "") == 200)
        #expect(done.wait(timeout: .now() + 15) == .success)
        #expect(woke?.count == 1)
        #expect((woke?.first?["Service"] as? [String: Any])?["ID"] as? String == "web-sidecar-proxy")
    }
}
