import Foundation
import Testing

/// `raft_snapshot_threshold` on a durable server: a snapshot lands on disk after that many
/// applied entries (the default, 16,384, would take none here).
@Suite struct ServerKeysLiveTests {
    @Test func snapshotThresholdIsHonoured() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snapthreshold-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        try "raft_snapshot_threshold = 64\nraft_trailing_logs = 16\n".write(toFile: dir + "/raft.hcl", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", dir + "/data", "-bind", "127.0.0.1",
                                                 "-config-file", dir + "/raft.hcl"], dev: false)
        defer { agent.stop() }
        _ = pollValue(20, every: 200_000, { (try? HTTP.get("/v1/status/leader", port: agent.httpPort).body.count) ?? 0 }) { $0 > 2 }
        let snapshots = dir + "/data/raft/snapshots"
        func taken() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".tmp") }
        }
        #expect(taken().isEmpty, "no snapshot before the threshold")
        let connection = try RawConnection(port: agent.httpPort)
        for i in 0..<100 {
            try connection.send("PUT /v1/kv/k\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv")
            #expect(try connection.readResponse().status == 200)
        }
        let found = pollValue(20, every: 200_000, taken) { !$0.isEmpty }
        #expect(!found.isEmpty, "a snapshot after 64 entries: \(found)")
    }

    /// The `autopilot` stanza seeds the settings the first leader stores in Raft.
    @Test func autopilotStanzaSeedsStoredSettings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("autopilot-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        try """
        autopilot {
          cleanup_dead_servers      = false
          last_contact_threshold    = "500ms"
          max_trailing_logs         = 500
          min_quorum                = 3
          server_stabilization_time = "20s"
        }
        """.write(toFile: dir + "/autopilot.hcl", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-config-file", dir + "/autopilot.hcl"])
        defer { agent.stop() }
        let settings = pollValue(20, every: 200_000, { () -> [String: Any] in
            (try? HTTP.get("/v1/operator/autopilot/configuration", port: agent.httpPort).json as? [String: Any]) ?? [:]
        }) { ($0["ModifyIndex"] as? Int ?? 0) > 0 }
        #expect(settings["CleanupDeadServers"] as? Bool == false, "\(settings)")
        #expect(settings["LastContactThreshold"] as? String == "500ms")
        #expect(settings["MaxTrailingLogs"] as? Int == 500 && settings["MinQuorum"] as? Int == 3)
        #expect(settings["ServerStabilizationTime"] as? String == "20s")
    }

    /// `check_output_max_size` cuts what a check reports (here a TTL check's update).
    @Test func checkOutputIsCutToTheConfiguredSize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("checkout-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        try "check_output_max_size = 16\n".write(toFile: dir + "/checks.hcl", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-config-file", dir + "/checks.hcl"])
        defer { agent.stop() }
        #expect(try HTTP.put("/v1/agent/check/register", port: agent.httpPort, body: #"{"ID":"big","Name":"big","TTL":"60s"}"#).status == 200)
        let long = String(repeating: "x", count: 200)
        #expect(try HTTP.put("/v1/agent/check/update/big", port: agent.httpPort, body: #"{"Status":"passing","Output":"\#(long)"}"#).status == 200)
        let checks = try HTTP.get("/v1/agent/checks", port: agent.httpPort).json as? [String: [String: Any]]
        let output = checks?["big"]?["Output"] as? String ?? ""
        #expect(output.hasPrefix(String(repeating: "x", count: 16)) && !output.hasPrefix(String(repeating: "x", count: 17)), "\(output)")
    }

    /// `-hcl` fragments are configuration; `disable_keyring_file` keeps the gossip key out of
    /// the data directory (and `encrypt` still encrypts).
    @Test func hclFragmentsAndNoKeyringFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hclflag-\(UUID().uuidString.prefix(8))").path
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        let agent = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", dir, "-bind", "127.0.0.1", "-node", "hclnode",
                                                 "-encrypt", "qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0=",
                                                 "-hcl", "disable_keyring_file = true", "-hcl", #"node_meta { via = "hcl" }"#], dev: false)
        defer { agent.stop() }
        let meta = pollValue(20, every: 200_000, { () -> String in
            guard let r = try? HTTP.get("/v1/catalog/node/hclnode", port: agent.httpPort),
                  let json = r.json as? [String: Any], let n = json["Node"] as? [String: Any] else { return "" }
            return (n["Meta"] as? [String: String])?["via"] ?? ""
        }) { $0 == "hcl" }
        #expect(meta == "hcl")
        let keyring = try HTTP.get("/v1/operator/keyring", port: agent.httpPort)
        #expect(String(decoding: keyring.body, as: UTF8.self).contains("qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0="))
        #expect(!FileManager.default.fileExists(atPath: dir + "/serf/local.keyring"), "no keyring file written")
    }

    /// `dns_config.soa` reaches the SOA record the DNS interface serves.
    @Test func soaSettingsAreServed() throws {
        let agent = try AgentProcess(extraArgs: ["-hcl", "dns_config { soa { refresh = 1200\n retry = 60\n expire = 7200\n min_ttl = 30 } }"])
        defer { agent.stop() }
        let answer = try runTool(["dig", "+short", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "consul.", "SOA"])
        let fields = answer.split(whereSeparator: { $0 == " " || $0 == "\n" })
        #expect(fields.suffix(4) == ["1200", "60", "7200", "30"], "\(fields)")
    }

    /// `addresses.dns` moves the DNS listener off `client_addr`.
    @Test func dnsListensOnItsOwnAddress() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "addrnode", "-hcl", #"addresses { dns = "127.0.0.3" }"#])
        defer { agent.stop() }
        let answer = try runTool(["dig", "+short", "+tries=3", "@127.0.0.3", "-p", String(agent.ports["dns-port"]!), "addrnode.node.consul"])
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "127.0.0.1")
    }
}
