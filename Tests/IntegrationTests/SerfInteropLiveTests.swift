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

    init(name: String, join: String? = nil) throws {
        self.name = name
        bindPort = try freePort()
        rpcPort = try freePort()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("serf-\(name)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: SerfAgent.binary!)
        process.arguments = ["agent", "-node=\(name)", "-bind=127.0.0.1:\(bindPort)", "-rpc-addr=127.0.0.1:\(rpcPort)",
                             "-log-level=debug"] + (join.map { ["-join=\($0)"] } ?? [])
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
        try runTool([SerfAgent.binary!, "members", "-rpc-addr=127.0.0.1:\(rpcPort)"], timeoutSeconds: 10)
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
}

/// Our agent and real serf agents in one LAN pool: both sides see each other alive, and a
/// killed member as failed; graceful leaves are `left` on both sides.
@Suite(.serialized, .enabled(if: SerfAgent.binary != nil, "Debian package serf not installed (make deps)"))
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

    /// A serf agent killed while we watch is failed for us; one that leaves is `left`.
    @Test func serfLeaveIsLeftForUs() throws {
        let ours = try AgentProcess(extraArgs: ["-node", "ours2"])
        defer { ours.stop() }
        let serfC = try SerfAgent(name: "serfC", join: "127.0.0.1:\(ours.ports["serf-lan-port"]!)")
        defer { serfC.stop() }
        #expect(try waitUntil(seconds: 15) { try consulStatus(ours, "serfC") == 1 })
        _ = try runTool([SerfAgent.binary!, "leave", "-rpc-addr=127.0.0.1:\(serfC.rpcPort)"], timeoutSeconds: 15)
        #expect(try waitUntil(seconds: 15) { try consulStatus(ours, "serfC") == 3 }, "serfC not left\n\(ours.log)")
    }
}
