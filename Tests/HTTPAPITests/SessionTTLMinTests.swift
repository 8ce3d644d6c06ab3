import HTTPAPI
import Testing

/// `session_ttl_min`: the shortest TTL a session may ask for, with Consul's message naming it.
@Suite struct SessionTTLMinTests {
    private func harness(min: Int64?) -> APIHarness {
        var config = APIConfig()
        if let min { config.sessionTTLMinNanoseconds = min }
        let h = APIHarness(config: config)
        h.registerNode(h.agent.nodeName)
        return h
    }

    @Test func defaultAndConfiguredMinimum() {
        let standard = harness(min: nil)
        let short = standard.send("PUT", "/v1/session/create", body: #"{"TTL":"5s"}"#)
        #expect(short.status == 400 || short.status == 500)
        #expect(short.text?.contains("Invalid Session TTL '5000000000', must be between [10s=24h0m0s]") == true, "\(short.text ?? "")")
        #expect(standard.send("PUT", "/v1/session/create", body: #"{"TTL":"15s"}"#).status == 200)

        let lenient = harness(min: 1_000_000_000)
        #expect(lenient.send("PUT", "/v1/session/create", body: #"{"TTL":"5s"}"#).status == 200)
        let strict = harness(min: 30_000_000_000)
        #expect(strict.send("PUT", "/v1/session/create", body: #"{"TTL":"20s"}"#).text?.contains("must be between [30s=24h0m0s]") == true)
    }
}
