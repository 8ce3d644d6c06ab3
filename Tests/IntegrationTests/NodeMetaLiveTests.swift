import Foundation
import Testing

/// `-node-meta` on a real agent: the catalog carries it (and keeps it through the leader's
/// reconciliation), `?node-meta=` filters on it, and DNS serves it as TXT records.
@Suite struct NodeMetaLiveTests {
    @Test func nodeMetaReachesCatalogFiltersAndDNS() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "metanode", "-node-meta", "rack:r1", "-node-meta", "env:prod"])
        defer { agent.stop() }
        let node = pollValue(20, every: 200_000, { () -> [String: String] in
            guard let r = try? HTTP.get("/v1/catalog/node/metanode", port: agent.httpPort),
                  let json = r.json as? [String: Any], let n = json["Node"] as? [String: Any] else { return [:] }
            return n["Meta"] as? [String: String] ?? [:]
        }) { $0["rack"] == "r1" }
        #expect(node["rack"] == "r1" && node["env"] == "prod", "\(node)")
        #expect(node["consul-version"] != nil, "the agent's own keys stay")

        let matching = try HTTP.get("/v1/catalog/nodes?node-meta=rack:r1", port: agent.httpPort).json as? [[String: Any]]
        #expect(matching?.count == 1)
        let other = try HTTP.get("/v1/catalog/nodes?node-meta=rack:r2", port: agent.httpPort).json as? [[String: Any]]
        #expect(other?.isEmpty == true)
        let healthy = try HTTP.get("/v1/health/service/consul?node-meta=env:prod", port: agent.httpPort).json as? [[String: Any]]
        #expect(healthy?.count == 1)

        let dig = try runTool(["dig", "+short", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "metanode.node.consul", "TXT"])
        #expect(dig.contains("\"rack=r1\"") && dig.contains("\"env=prod\""), "\(dig)")
    }

    /// A reload applies changed `node_meta` (Consul reloads it): the catalog follows.
    @Test func reloadChangesNodeMeta() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nodemeta-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        let file = dir + "/meta.hcl"
        try "node_meta { rack = \"r1\" }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-node", "reloadmeta", "-config-file", file])
        defer { agent.stop() }
        func rack() -> String? {
            guard let r = try? HTTP.get("/v1/catalog/node/reloadmeta", port: agent.httpPort),
                  let json = r.json as? [String: Any], let n = json["Node"] as? [String: Any] else { return nil }
            return (n["Meta"] as? [String: String])?["rack"]
        }
        #expect(pollValue(20, every: 200_000, rack) { $0 == "r1" } == "r1")
        try "node_meta { rack = \"r2\" }\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try HTTP.request("PUT", "/v1/agent/reload", port: agent.httpPort).status == 200)
        #expect(pollValue(20, every: 200_000, rack) { $0 == "r2" } == "r2")
    }
}
