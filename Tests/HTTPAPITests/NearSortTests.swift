import ConsulAPI
@testable import HTTPAPI
import Testing

/// `?near=` orders catalog and health rows by predicted RTT from a node's coordinate.
@Suite struct NearSortTests {
    func coordinate(_ node: String, _ x: Double) -> NodeCoordinate {
        NodeCoordinate(node: node, vec: [x, 0, 0, 0, 0, 0, 0, 0], error: 0.5, adjustment: 0, height: 1e-5)
    }

    func names(_ answer: Answer) -> [String] {
        guard let body = answer.response?.body, let value = try? JSONParser.parse(body) else { return [] }
        return value.arrayValue?.compactMap { $0["Node"]?.stringValue ?? $0["Node"]?["Node"]?.stringValue } ?? []
    }

    @Test func sortsByDistance() {
        let h = APIHarness()
        for (node, addr) in [("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "10.0.0.3"), ("d", "10.0.0.4")] {
            h.send("PUT", "/v1/catalog/register", body: #"{"Node":"\#(node)","Address":"\#(addr)","Service":{"Service":"web"}}"#)
        }
        h.agent.coordinates = [coordinate("a", 0.050), coordinate("b", 0.001), coordinate("c", 0.020), coordinate("node1", 0)]
        #expect(names(h.send("GET", "/v1/catalog/service/web")) == ["a", "b", "c", "d"])
        #expect(names(h.send("GET", "/v1/catalog/service/web?near=c")) == ["c", "b", "a", "d"])
        #expect(names(h.send("GET", "/v1/catalog/service/web?near=_agent")) == ["b", "c", "a", "d"])
        #expect(names(h.send("GET", "/v1/health/service/web?near=a")) == ["a", "c", "b", "d"])
        #expect(names(h.send("GET", "/v1/catalog/nodes?near=b")) == ["b", "c", "a", "d"])
        // Unknown origin: unsorted.
        #expect(names(h.send("GET", "/v1/catalog/service/web?near=zzz")) == ["a", "b", "c", "d"])
    }
}
