import Foundation
import Glibc
import Testing

/// A bootstrapped server with a data directory keeps every acknowledged write across kill -9,
/// and refuses to start from a damaged Raft log.
@Suite struct DurabilityLiveTests {
    private func dataDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("consul-durable-\(UUID().uuidString)")
    }

    /// Every write acknowledged before SIGKILL is served after restart, with its index.
    @Test func acknowledgedWritesSurviveKill9() throws {
        let dir = dataDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["-server", "-bootstrap", "-data-dir", dir.path, "-bind", "127.0.0.1"]
        let first = try AgentProcess(extraArgs: args, dev: false)
        var acknowledged: [String: UInt64] = [:]
        for i in 0..<50 {
            let r = try HTTP.put("/v1/kv/durable/\(i)", port: first.httpPort, body: "value-\(i)")
            #expect(r.status == 200)
            if r.bodyText.contains("true") {
                acknowledged["durable/\(i)"] = try HTTP.get("/v1/kv/durable/\(i)", port: first.httpPort).index
            }
        }
        #expect(acknowledged.count == 50)
        first.stop() // SIGKILL
        let second = try AgentProcess(extraArgs: args, dev: false, reusing: first.ports)
        for (key, index) in acknowledged {
            let r = try HTTP.get("/v1/kv/\(key)?consistent", port: second.httpPort)
            #expect(r.status == 200, "\(key) lost after kill -9")
            #expect(r.index == index)
        }
        // And the restarted server keeps accepting writes after what it recovered.
        let after = try HTTP.put("/v1/kv/after-restart", port: second.httpPort, body: "x")
        #expect(after.bodyText.contains("true"))
        #expect((try HTTP.get("/v1/kv/after-restart", port: second.httpPort).index ?? 0) > acknowledged.values.max()!)
    }

    /// A corrupted raft.db stops start-up with a message naming the file.
    @Test func corruptLogRefusesToStart() throws {
        let dir = dataDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let serverArgs = ["-server", "-bootstrap", "-data-dir", dir.path, "-bind", "127.0.0.1"]
        let agent = try AgentProcess(extraArgs: serverArgs, dev: false)
        let args = ["agent"] + serverArgs + agent.ports.sorted { $0.key < $1.key }.flatMap { ["-\($0.key)", String($0.value)] }
        for i in 0..<20 { _ = try HTTP.put("/v1/kv/k\(i)", port: agent.httpPort, body: String(repeating: "x", count: 500)) }
        agent.signal(SIGTERM)
        _ = agent.waitForExit(seconds: 10)
        // A clean shutdown checkpoints the WAL into raft.db; flip one byte inside a stored value,
        // which leaves SQLite's structure intact: only the per-row checksum can notice.
        let db = dir.appendingPathComponent("raft/raft.db")
        var bytes = [UInt8](try Data(contentsOf: db))
        let run = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        let at = try #require((0..<(bytes.count - 100)).first { bytes[$0] == run[0] && Array(bytes[$0..<($0 + 100)]) == run })
        bytes[at + 50] = UInt8(ascii: "y")
        try Data(bytes).write(to: db)
        let result = try runCLI(args, timeoutSeconds: 20)
        #expect(result.status == 1)
        #expect(result.stderr.contains("raft.db"))
        #expect(result.stderr.contains("checksum"))
    }
}

/// Services and checks registered through the agent API are kept in the data directory and
/// come back after kill -9.
@Suite struct RegistrationPersistenceLiveTests {
    @Test func apiRegistrationsSurviveKill9() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-reg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["-server", "-bootstrap", "-data-dir", dir.path, "-bind", "127.0.0.1"]
        let first = try AgentProcess(extraArgs: args, dev: false)
        let service = #"{"Name":"billing","Port":7000,"Tags":["v2"],"Check":{"TTL":"60s"}}"#
        #expect(try HTTP.request("PUT", "/v1/agent/service/register", port: first.httpPort, body: Array(service.utf8)).status == 200)
        let check = #"{"Name":"disk","TTL":"60s"}"#
        #expect(try HTTP.request("PUT", "/v1/agent/check/register", port: first.httpPort, body: Array(check.utf8)).status == 200)
        first.stop() // SIGKILL right after the acknowledgements
        let second = try AgentProcess(extraArgs: args, dev: false, reusing: first.ports)
        let services = try #require(try HTTP.get("/v1/agent/services", port: second.httpPort).json as? [String: [String: Any]])
        #expect(services["billing"]?["Port"] as? Int == 7000)
        let checks = try #require(try HTTP.get("/v1/agent/checks", port: second.httpPort).json as? [String: [String: Any]])
        #expect(checks["service:billing"] != nil)
        #expect(checks["disk"] != nil)
        // Deregistration is persisted too.
        #expect(try HTTP.request("PUT", "/v1/agent/service/deregister/billing", port: second.httpPort, body: []).status == 200)
        second.stop()
        let third = try AgentProcess(extraArgs: args, dev: false, reusing: first.ports)
        let after = try #require(try HTTP.get("/v1/agent/services", port: third.httpPort).json as? [String: Any])
        #expect(after["billing"] == nil)
    }
}
