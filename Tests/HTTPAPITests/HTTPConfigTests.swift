import HTTP1
import HTTPAPI
import Testing
import Wire

/// `http_config { allow_write_http_from, response_headers }` as the router applies them.
@Suite struct HTTPConfigTests {
    private func harness() -> APIHarness {
        var config = APIConfig()
        config.allowWriteFrom = [IPNetwork("10.0.0.0/8")!, IPNetwork("fd00::/8")!]
        config.responseHeaders = [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/x-never-wins")]
        return APIHarness(config: config)
    }

    private func send(_ h: APIHarness, _ method: String, _ target: String, from address: String, body: String = "") -> Answer {
        h.send(method, target, body: body, from: address)
    }

    @Test func writesOnlyFromAllowedNetworks() {
        let h = harness()
        let refused = send(h, "PUT", "/v1/kv/k", from: "192.168.1.9", body: "v")
        #expect(refused.status == 403 && refused.text == "Access is restricted")
        #expect(h.store.index == 0, "nothing was written")
        #expect(send(h, "DELETE", "/v1/kv/k", from: "127.0.0.1").status == 403)
        #expect(send(h, "PUT", "/v1/kv/k", from: "10.20.30.40", body: "v").text == "true")
        #expect(send(h, "PUT", "/v1/kv/k6", from: "fd00::9", body: "v").text == "true")
        // Reads are never restricted.
        #expect(send(h, "GET", "/v1/kv/k", from: "192.168.1.9").status == 200)
        #expect(send(h, "OPTIONS", "/v1/kv/k", from: "192.168.1.9").status == 200)
    }

    @Test func responseHeadersOnEveryAnswerButHandlersKeepTheirOwn() {
        let h = harness()
        let read = send(h, "GET", "/v1/kv/missing", from: "10.0.0.1")
        #expect(read.header("Access-Control-Allow-Origin") == "*")
        let json = send(h, "GET", "/v1/status/leader", from: "10.0.0.1")
        #expect(json.header("Content-Type") == "application/json")
        #expect(send(h, "GET", "/", from: "10.0.0.1").header("Access-Control-Allow-Origin") == "*")
    }
}
