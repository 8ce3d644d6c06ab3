import Foundation
import Glibc
import Testing

/// A real HashiCorp `serf agent` (Debian package `serf` 0.9.4, installed by `make deps`).
final class SerfAgent {
    let process = Process()
    let name: String
    let bindPort: Int
    let rpcPort: Int
    let logURL: URL

    init(name: String, join: String? = nil, extraArgs: [String] = []) throws {
        self.name = name
        bindPort = try freePort()
        rpcPort = try freePort()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("serf-\(name)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: SerfAgent.path)
        process.arguments = ["agent", "-node=\(name)", "-bind=127.0.0.1:\(bindPort)", "-rpc-addr=127.0.0.1:\(rpcPort)",
                             "-log-level=debug"] + (join.map { ["-join=\($0)"] } ?? []) + extraArgs
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Ready once its RPC port answers `serf members`.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let out = try? members(), out.contains(name) { return }
            usleep(50_000)
        }
        throw AgentError.neverServed("serf agent \(name) did not start\n\(self.log)")
    }

    deinit { stop() }

    var gossipAddress: String { "127.0.0.1:\(bindPort)" }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// `serf members` output: `name addr status tags` per line.
    func members() throws -> String {
        try runTool([SerfAgent.path, "members", "-rpc-addr=127.0.0.1:\(rpcPort)"], timeoutSeconds: 10)
    }

    func status(of node: String) -> String? {
        guard let out = try? members() else { return nil }
        for line in out.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 3 && fields[0] == node { return String(fields[2]) }
        }
        return nil
    }

    static let binary: String? = ["/usr/bin/serf", "/usr/local/bin/serf"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// The serf binary, or a path that fails clearly when run (CI=true runs these tests anyway).
    static var path: String { binary ?? "/usr/bin/serf (missing: Debian package serf, installed by make deps)" }
}

/// Our agent and real serf agents in one LAN pool: both sides see each other alive, and a
/// killed member as failed; graceful leaves are `left` on both sides.
@Suite(.serialized, .enabled(if: toolTestEnabled(SerfAgent.binary != nil), "Debian package serf not installed (make deps)"))
struct SerfInteropLiveTests {
    func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return false
    }

    func consulStatus(_ agent: AgentProcess, _ node: String) throws -> Int? {
        let response = try HTTP.request("GET", "/v1/agent/members", port: agent.httpPort)
        let list = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
        return list.first { $0["Name"] as? String == node }?["Status"] as? Int
    }

    @Test func serfAgentsAndOursSeeEachOther() throws {
        let serfA = try SerfAgent(name: "serfA")
        let ours = try AgentProcess(extraArgs: ["-node", "ours"])
        defer { serfA.stop(); ours.stop() }
        let ourGossip = "127.0.0.1:\(ours.ports["serf-lan-port"]!)"

        // We join serf; another serf agent joins us.
        let join = try runCLI(["join", "-http-addr=\(ours.httpAddress)", serfA.gossipAddress])
        #expect(join.status == 0, "\(join.stderr)")
        let serfB = try SerfAgent(name: "serfB", join: ourGossip)
        defer { serfB.stop() }

        for node in ["serfA", "serfB"] {
            #expect(try waitUntil(seconds: 15) { try consulStatus(ours, node) == 1 }, "we never saw \(node) alive\n\(ours.log)")
        }
        for serf in [serfA, serfB] {
            #expect(waitUntil(seconds: 15) { serf.status(of: "ours") == "alive" }, "\(serf.name) never saw us alive\n\(serf.log)")
            #expect(waitUntil(seconds: 15) { serf.status(of: serf.name == "serfA" ? "serfB" : "serfA") == "alive" })
        }
        // serf sees our Consul tags.
        #expect(try serfA.members().contains("role=consul"))

        // Killed serf agent: failed on our side and on serf's.
        serfB.stop()
        #expect(try waitUntil(seconds: 30) { try consulStatus(ours, "serfB") == 4 }, "serfB never failed for us\n\(ours.log)")
        #expect(waitUntil(seconds: 30) { serfA.status(of: "serfB") == "failed" })

        // Our graceful leave is `left` for serf.
        let leave = try runCLI(["leave", "-http-addr=\(ours.httpAddress)"])
        #expect(leave.status == 0)
        #expect(waitUntil(seconds: 15) { serfA.status(of: "ours") == "left" }, "serf never saw us leave\n\(serfA.log)")
    }

    /// A serf member tagged as a Consul client of our datacenter (role=node, dc=dc1) joined to a
    /// dev agent is reconciled into its catalog with serfHealth, and marked critical once killed;
    /// an untagged serf member is not a catalog node.
    @Test func roleNodeMemberIsReconciledByADevAgent() throws {
        let ours = try AgentProcess(extraArgs: ["-node", "devR"])
        defer { ours.stop() }
        let ourGossip = "127.0.0.1:\(ours.ports["serf-lan-port"]!)"
        let tagged = try SerfAgent(name: "serfNode", join: ourGossip, extraArgs: ["-tag", "role=node", "-tag", "dc=dc1"])
        let plain = try SerfAgent(name: "serfPlain", join: ourGossip)
        defer { tagged.stop(); plain.stop() }
        func serfHealth(_ node: String) -> String? {
            guard let r = try? HTTP.request("GET", "/v1/health/node/\(node)", port: ours.httpPort),
                  let checks = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] else { return nil }
            return checks.first { $0["CheckID"] as? String == "serfHealth" }?["Status"] as? String
        }
        #expect(waitUntil(seconds: 30) { serfHealth("serfNode") == "passing" }, "serfNode never reconciled\n\(ours.log)")
        #expect(try waitUntil(seconds: 15) { try consulStatus(ours, "serfPlain") == 1 })
        tagged.stop()
        #expect(waitUntil(seconds: 30) { serfHealth("serfNode") == "critical" }, "serfNode never critical\n\(ours.log)")
        // The pass that marked serfNode critical saw serfPlain alive too, and left it out.
        #expect(serfHealth("serfPlain") == nil)
    }

    /// A serf agent killed while we watch is failed for us; one that leaves is `left`.
    @Test func serfLeaveIsLeftForUs() throws {
        let ours = try AgentProcess(extraArgs: ["-node", "ours2"])
        defer { ours.stop() }
        let serfC = try SerfAgent(name: "serfC", join: "127.0.0.1:\(ours.ports["serf-lan-port"]!)")
        defer { serfC.stop() }
        #expect(try waitUntil(seconds: 15) { try consulStatus(ours, "serfC") == 1 })
        _ = try runTool([SerfAgent.path, "leave", "-rpc-addr=127.0.0.1:\(serfC.rpcPort)"], timeoutSeconds: 15)
        #expect(try waitUntil(seconds: 15) { try consulStatus(ours, "serfC") == 3 }, "serfC not left\n\(ours.log)")
    }

    /// `consul keyring -list` output lines `  <key> [n/total]` → key → "n/total".
    func listedKeys(_ agent: AgentProcess, primary: Bool = false) throws -> [String: String] {
        let out = try runCLI(["keyring", primary ? "-list-primary" : "-list", "-http-addr=\(agent.httpAddress)"])
        var keys: [String: String] = [:]
        for line in out.stdout.split(separator: "\n") where line.hasPrefix("  ") && line.hasSuffix("]") && !line.contains("===>") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { keys[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
        }
        return keys
    }

    static let keyA = "AAECAwQFBgcICQoLDA0ODw=="
    static let keyB = "ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJlZWY="
    static let keyC = "Y2FmZWJhYmVjYWZlYmFiZWNhZmViYWJlY2FmZWJhYmU="

    /// With the same -encrypt key a real serf agent and ours gossip (and answer each other's
    /// keyring queries); an agent with another key cannot join.
    @Test func encryptedPoolWithSerf() throws {
        let serf = try SerfAgent(name: "serfK", extraArgs: ["-encrypt=\(Self.keyA)"])
        let ours = try AgentProcess(extraArgs: ["-node", "oursK", "-encrypt", Self.keyA])
        defer { serf.stop(); ours.stop() }
        let join = try runCLI(["join", "-http-addr=\(ours.httpAddress)", serf.gossipAddress])
        #expect(join.status == 0, "\(join.stderr)\n\(ours.log)")
        #expect(try waitUntil(seconds: 10) { try consulStatus(ours, "serfK") == 1 }, "we never saw serfK alive\n\(ours.log)")
        #expect(waitUntil(seconds: 10) { serf.status(of: "oursK") == "alive" }, "serf never saw us alive\n\(serf.log)")

        // Our keyring query reaches serf (it answers), and serf's reaches us.
        #expect(try listedKeys(ours) == [Self.keyA: "2/2"])
        let install = try runCLI(["keyring", "-install", Self.keyB, "-http-addr=\(ours.httpAddress)"])
        #expect(install.status == 0, "\(install.stderr)")
        let serfKeys = try runTool([SerfAgent.path, "keys", "-list", "-rpc-addr=127.0.0.1:\(serf.rpcPort)"], timeoutSeconds: 10)
        #expect(serfKeys.contains(Self.keyB), "\(serfKeys)")
        _ = try runTool([SerfAgent.path, "keys", "-install=\(Self.keyC)", "-rpc-addr=127.0.0.1:\(serf.rpcPort)"], timeoutSeconds: 10)
        #expect(try listedKeys(ours) == [Self.keyA: "2/2", Self.keyB: "2/2", Self.keyC: "2/2"])

        // Another key: the join fails and serf never lists the stranger.
        let stranger = try AgentProcess(extraArgs: ["-node", "stranger", "-encrypt", "c3RyYW5nZXJzdHJhbmdlcg=="])
        defer { stranger.stop() }
        let refused = try runCLI(["join", "-http-addr=\(stranger.httpAddress)", serf.gossipAddress])
        #expect(refused.status != 0)
        #expect(serf.status(of: "stranger") == nil)
        #expect(try consulStatus(stranger, "serfK") == nil)
    }

    /// Key rotation across two of our agents: install → use → remove, with list counts at each step.
    @Test func keyringRotationOnOurAgents() throws {
        let a = try AgentProcess(extraArgs: ["-node", "rotA", "-encrypt", Self.keyA])
        let b = try AgentProcess(extraArgs: ["-node", "rotB", "-encrypt", Self.keyA])
        defer { a.stop(); b.stop() }
        let join = try runCLI(["join", "-http-addr=\(b.httpAddress)", "127.0.0.1:\(a.ports["serf-lan-port"]!)"])
        #expect(join.status == 0, "\(join.stderr)")
        #expect(try waitUntil(seconds: 10) { try consulStatus(a, "rotB") == 1 })

        #expect(try runCLI(["keyring", "-install", Self.keyB, "-http-addr=\(a.httpAddress)"]).status == 0)
        #expect(try listedKeys(b) == [Self.keyA: "2/2", Self.keyB: "2/2"])
        #expect(try runCLI(["keyring", "-use", Self.keyB, "-http-addr=\(b.httpAddress)"]).status == 0)
        #expect(try listedKeys(a, primary: true) == [Self.keyB: "2/2"])
        // The primary cannot be removed; the old key can.
        let refused = try runCLI(["keyring", "-remove", Self.keyB, "-http-addr=\(a.httpAddress)"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Removing the primary key is not allowed"), "\(refused.stderr)")
        #expect(try runCLI(["keyring", "-remove", Self.keyA, "-http-addr=\(a.httpAddress)"]).status == 0)
        #expect(try listedKeys(a) == [Self.keyB: "2/2"])
        // Still gossiping under the new key.
        #expect(try consulStatus(b, "rotA") == 1)
        let keygen = try runCLI(["keygen"])
        #expect(keygen.status == 0 && keygen.stdout.count == 45)
    }
}
