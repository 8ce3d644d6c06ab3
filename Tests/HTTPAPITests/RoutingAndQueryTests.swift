import ConsulAPI
import HTTP1
import HTTPAPI
import Testing

@Suite("Routing")
struct RoutingTests {
    /// Proves an unknown path under /v1 is 404 with Consul's text (trailing newline included).
    @Test(arguments: ["/v1/nope", "/v1/kv", "/v1/status/leaderx", "/v1/", "/v1"])
    func unknownAPIPath(_ path: String) {
        let answer = APIHarness().send("GET", path)
        #expect(answer.status == 404)
        #expect(answer.text == "Invalid URL path: not a recognized HTTP API endpoint\n")
        #expect(answer.header("X-Consul-Default-ACL-Policy") == "allow")
    }

    /// Proves a method the route does not declare is 405 with `Allow` listing OPTIONS first, comma-separated.
    @Test func wrongMethod() {
        let h = APIHarness()
        let answer = h.send("POST", "/v1/kv/a", body: "x")
        #expect(answer.status == 405)
        #expect(answer.header("Allow") == "OPTIONS,GET,PUT,DELETE")
        #expect(answer.text == "method POST not allowed")
        #expect(h.store.kvGet("a") == nil)
        let status = h.send("PUT", "/v1/status/leader")
        #expect(status.status == 405)
        #expect(status.header("Allow") == "OPTIONS,GET")
    }

    /// Proves OPTIONS answers 200 with the route's `Allow` and an empty body, without running the handler.
    @Test func options() {
        let h = APIHarness()
        let answer = h.send("OPTIONS", "/v1/kv/a")
        #expect(answer.status == 200)
        #expect(answer.header("Allow") == "OPTIONS,GET,PUT,DELETE")
        #expect(answer.response?.body == [])
        #expect(answer.header("X-Consul-Index") == nil)
    }

    /// Proves the root page says the UI is disabled, or redirects to /ui/ when enabled; other paths are 404.
    @Test func rootAndNonAPIPaths() {
        let disabled = APIHarness().send("GET", "/")
        #expect(disabled.status == 200)
        #expect(disabled.text == "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.")
        var config = APIConfig()
        config.uiEnabled = true
        let enabled = APIHarness(config: config).send("GET", "/")
        #expect(enabled.status == 301)
        #expect(enabled.header("Location") == "/ui/")
        let other = APIHarness().send("GET", "/favicon.ico")
        #expect(other.status == 404)
    }

    /// Proves a path with a control character, even percent-encoded, is refused before routing.
    @Test func nonPrintablePath() {
        let h = APIHarness()
        let answer = h.send("PUT", "/v1/kv/a%0Ab", body: "x")
        #expect(answer.status == 400)
        #expect(answer.text == "Invalid URL path: contains non-printable characters")
        #expect(h.store.kvCount == 0)
    }

    /// Proves ACL endpoints answer 401 `ACL support disabled`.
    @Test func aclDisabled() {
        let answer = APIHarness().send("GET", "/v1/acl/tokens")
        #expect(answer.status == 401)
        #expect(answer.text == "ACL support disabled")
    }

    /// Proves the status endpoints report the agent's leader and peers as JSON.
    @Test func statusEndpoints() {
        let h = APIHarness()
        #expect(h.send("GET", "/v1/status/leader").text == #""127.0.0.1:8300""#)
        #expect(h.send("GET", "/v1/status/peers").text == #"["127.0.0.1:8300"]"#)
        h.agent.leaderAddress = ""
        #expect(h.send("GET", "/v1/status/leader").text == #""""#)
    }

    /// Proves the agent endpoints answer with the agent view's facts.
    @Test func agentEndpoints() throws {
        let h = APIHarness()
        let me = try JSONParser.parse(h.send("GET", "/v1/agent/self").response?.body ?? [])
        #expect(me["Config"]?["NodeName"]?.stringValue == "node1")
        #expect(me["Config"]?["Datacenter"]?.stringValue == "dc1")
        #expect(me["Member"]?["Name"]?.stringValue == "node1")
        let members = try JSONParser.parse(h.send("GET", "/v1/agent/members").response?.body ?? [])
        #expect(members.arrayValue?.first?["Name"]?.stringValue == "node1")
        let wan = try JSONParser.parse(h.send("GET", "/v1/agent/members?wan=1").response?.body ?? [])
        #expect(wan.arrayValue?.first?["Name"]?.stringValue == "node1.dc1")
    }
}

@Suite("Query parameters")
struct QueryParameterTests {
    /// Proves malformed standard parameters are 400 with Consul's exact texts, on reads and on writes.
    @Test(arguments: [
        ("/v1/kv/a?index=abc", "Invalid index"),
        ("/v1/kv/a?index=-1", "Invalid index"),
        ("/v1/kv/a?index=1&wait=60", "Invalid wait time"),
        ("/v1/kv/a?wait=abc", "Invalid wait time"),
        ("/v1/kv/a?wait=5x", "Invalid wait time"),
        ("/v1/kv/a?stale&consistent", "Cannot specify ?stale with ?consistent, conflicting semantics."),
        ("/v1/kv/a?cached&consistent", "Cannot specify ?cached with ?consistent, conflicting semantics."),
        ("/v1/kv/a?max_stale=x", "Invalid max_stale value \"x\""),
        ("/v1/status/leader?stale=1&consistent=1", "Cannot specify ?stale with ?consistent, conflicting semantics."),
    ])
    func malformed(_ target: String, _ message: String) {
        let h = APIHarness()
        h.put("a", "v")
        for method in target.hasPrefix("/v1/kv/") ? ["GET", "PUT", "DELETE"] : ["GET"] {
            let answer = h.send(method, target, body: "new")
            #expect(answer.status == 400, "\(method)")
            #expect(answer.text == message, "\(method)")
        }
        #expect(h.store.kvGet("a")?.value == Array("v".utf8))
    }

    /// Proves a foreign datacenter is `500 No path to datacenter`, while the own one or an empty one is served.
    @Test func datacenter() {
        let h = APIHarness()
        h.put("a", "v")
        for (method, target) in [("GET", "/v1/kv/a?dc=other"), ("PUT", "/v1/kv/a?dc=other"), ("GET", "/v1/status/leader?dc=other")] {
            let answer = h.send(method, target, body: "changed")
            #expect(answer.status == 500, "\(method) \(target)")
            #expect(answer.text == "No path to datacenter", "\(method) \(target)")
        }
        #expect(h.store.kvGet("a")?.value == Array("v".utf8))
        #expect(h.send("GET", "/v1/kv/a?dc=dc1").status == 200)
        #expect(h.send("GET", "/v1/kv/a?dc=").status == 200)
    }

    /// Proves `QueryOptions.parse` reads index, wait, consistency and dc.
    @Test func parsesOptions() throws {
        let request = try HTTPRequest(method: "GET", target: "/v1/kv/a?index=42&wait=1m30s&stale&dc=east&pretty")
        guard case .success(let options) = QueryOptions.parse(request, prettyByDefault: false) else {
            Issue.record("expected options")
            return
        }
        #expect(options.minIndex == 42)
        #expect(options.waitNanoseconds == 90_000_000_000)
        #expect(options.consistency == .stale)
        #expect(options.datacenter == "east")
        #expect(options.pretty)
        let plain = try HTTPRequest(method: "GET", target: "/v1/kv/a?wait=-5s")
        guard case .success(let defaults) = QueryOptions.parse(plain, prettyByDefault: true) else {
            Issue.record("expected options")
            return
        }
        #expect(defaults.waitNanoseconds == 0)
        #expect(defaults.minIndex == 0)
        #expect(defaults.consistency == .default)
        #expect(defaults.pretty)
    }
}
