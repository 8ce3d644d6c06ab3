import Foundation
import Glibc
import Testing

/// Real agents gossiping over loopback: a bootstrapped server and two client agents form one
/// LAN pool; members, failure detection, graceful leave, join and force-leave through the CLI.
@Suite(.serialized) struct GossipLiveTests {
    func dataDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-gossip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func member(_ agent: AgentProcess, _ name: String) throws -> [String: Any]? {
        let response = try HTTP.request("GET", "/v1/agent/members", port: agent.httpPort)
        let list = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
        return list.first { $0["Name"] as? String == name }
    }

    /// Waits (bounded) until `agent` reports `name` with serf status `status` (1 alive, 3 left, 4 failed).
    func waitForStatus(_ agent: AgentProcess, _ name: String, _ status: Int, seconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let m = try member(agent, name), m["Status"] as? Int == status { return true }
            usleep(100_000)
        }
        return false
    }

    @Test func serverAndClientsFormOnePool() throws {
        let server = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", try dataDir(), "-node", "s1",
                                                  "-bind", "127.0.0.1"], dev: false)
        let seed = "127.0.0.1:\(server.ports["serf-lan-port"]!)"
        let c1 = try AgentProcess(extraArgs: ["-data-dir", try dataDir(), "-node", "c1", "-bind", "127.0.0.1", "-retry-join", seed], dev: false)
        let c2 = try AgentProcess(extraArgs: ["-data-dir", try dataDir(), "-node", "c2", "-bind", "127.0.0.1"], dev: false)
        defer { server.stop(); c1.stop(); c2.stop() }

        // c1 joined at start (retry-join); c2 joins through the CLI.
        let join = try runCLI(["join", "-http-addr=\(c2.httpAddress)", seed])
        #expect(join.status == 0, "\(join.stderr)")
        #expect(join.stdout.contains("Successfully joined cluster by contacting 1 nodes."))
        for agent in [server, c1, c2] {
            for name in ["s1", "c1", "c2"] {
                #expect(try waitForStatus(agent, name, 1, seconds: 20), "\(name) not alive in the view of \(agent.httpAddress)\n\(agent.log)")
            }
        }
        let members = try runCLI(["members", "-http-addr=\(c1.httpAddress)"])
        #expect(members.status == 0)
        let lines = members.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(members.stdout)")
        #expect(lines[1].hasPrefix("s1 ") && lines[1].contains("alive") && lines[1].contains("server"), "\(members.stdout)")
        #expect(lines.contains { $0.hasPrefix("c2 ") && $0.contains("alive") && $0.contains("client") && $0.contains("dc1") })
        let detailed = try runCLI(["members", "-detailed", "-http-addr=\(server.httpAddress)"])
        #expect(detailed.stdout.contains("role=node") && detailed.stdout.contains("role=consul"))

        // SIGKILL: the others detect the failure (LAN timings: a few seconds for 3 nodes).
        c2.stop()
        #expect(try waitForStatus(server, "c2", 4, seconds: 30), "c2 never failed\n\(server.log)")
        #expect(try waitForStatus(c1, "c2", 4, seconds: 30))
        let failed = try runCLI(["members", "-status", "failed", "-http-addr=\(server.httpAddress)"])
        #expect(failed.stdout.contains("c2") && !failed.stdout.contains("\nc1 "), "\(failed.stdout)")

        // force-leave turns failed into left.
        let forced = try runCLI(["force-leave", "-http-addr=\(server.httpAddress)", "c2"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try waitForStatus(server, "c2", 3, seconds: 10))
        #expect(try waitForStatus(c1, "c2", 3, seconds: 10))

        // Graceful leave: c1 is `left` (not failed) everywhere, and its process exits 0.
        let leave = try runCLI(["leave", "-http-addr=\(c1.httpAddress)"])
        #expect(leave.status == 0, "\(leave.stderr)")
        #expect(c1.waitForExit(seconds: 15) == 0)
        #expect(try waitForStatus(server, "c1", 3, seconds: 15), "c1 not left\n\(server.log)")
    }

    /// A restarted agent rejoins the members in its serf snapshot without any join flag, but
    /// not after a graceful leave.
    @Test func restartRejoinsFromSnapshot() throws {
        let server = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", try dataDir(), "-node", "r-s1",
                                                  "-bind", "127.0.0.1"], dev: false)
        defer { server.stop() }
        let clientDir = try dataDir()
        var client = try AgentProcess(extraArgs: ["-data-dir", clientDir, "-node", "r-c1", "-bind", "127.0.0.1"], dev: false)
        defer { client.stop() }
        let join = try runCLI(["join", "-http-addr=\(client.httpAddress)", "127.0.0.1:\(server.ports["serf-lan-port"]!)"])
        #expect(join.status == 0)
        #expect(try waitForStatus(client, "r-s1", 1, seconds: 10))
        usleep(1_200_000) // the snapshot is written within 500 ms of a change
        let ports = client.ports
        client.stop()
        client = try AgentProcess(extraArgs: ["-data-dir", clientDir, "-node", "r-c1", "-bind", "127.0.0.1"], dev: false, reusing: ports)
        #expect(try waitForStatus(client, "r-s1", 1, seconds: 15), "no rejoin from the snapshot\n\(client.log)")
        #expect(try waitForStatus(server, "r-c1", 1, seconds: 15))
        let snapshot = try String(contentsOfFile: clientDir + "/serf/local.snapshot", encoding: .utf8)
        #expect(snapshot.contains("alive: r-s1 127.0.0.1:\(server.ports["serf-lan-port"]!)"))

        // After a graceful leave the snapshot says so, and the next start stays alone.
        let leave = try runCLI(["leave", "-http-addr=\(client.httpAddress)"])
        #expect(leave.status == 0)
        _ = client.waitForExit(seconds: 15)
        #expect(try String(contentsOfFile: clientDir + "/serf/local.snapshot", encoding: .utf8).contains("\nleave\n"))
        client = try AgentProcess(extraArgs: ["-data-dir", clientDir, "-node", "r-c1", "-bind", "127.0.0.1"], dev: false, reusing: ports)
        // The restart reads the leave from the snapshot and rejoins nobody (it has no -join either).
        #expect(client.log.contains("serf: Ignoring previous leave in snapshot"), "\(client.log)")
        #expect(try member(client, "r-s1") == nil)
    }

    @Test func joinErrorsAreReported() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let deadPort = try freePort()
        let join = try runCLI(["join", "-http-addr=\(agent.httpAddress)", "127.0.0.1:\(deadPort)"])
        #expect(join.status == 1)
        #expect(join.stderr.contains("Error joining address '127.0.0.1:\(deadPort)'"))
        #expect(join.stderr.contains("Failed to join any nodes."))
        let force = try runCLI(["force-leave", "-http-addr=\(agent.httpAddress)", "nobody"])
        #expect(force.status == 1)
    }

    /// Garbage on the gossip port is counted and dropped; the agent keeps serving.
    @Test func malformedGossipPacketsAreDropped() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let port = agent.ports["serf-lan-port"]!
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let junk: [[UInt8]] = [[], [0x00], [0x04, 0x86], [0x07, 0xFF], [0x09, 0x82, 0xA4], [0x0C, 1, 2, 3, 4, 5],
                               Array(repeating: 0xDF, count: 1400), (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) }]
        for packet in junk {
            _ = packet.withUnsafeBytes { bytes in
                withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                } }
            }
        }
        // And a TCP stream that is not a gossip message at all.
        let tcp = try RawConnection(port: port)
        try tcp.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        usleep(200_000)
        let members = try HTTP.request("GET", "/v1/agent/members", port: agent.httpPort)
        #expect(members.status == 200)
    }
}
