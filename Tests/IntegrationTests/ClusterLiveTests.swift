import Foundation
import Glibc
import Testing

/// Three real server processes on loopback: they bootstrap together through gossip
/// (-bootstrap-expect 3), replicate writes made through any member, elect a new leader after
/// the leader is SIGKILLed, catch a restarted member up, and keep every acknowledged write
/// when all three are SIGKILLed at once and restarted on the same data directories.
@Suite(.serialized) struct ClusterLiveTests {
    struct Server {
        var name: String
        var dataDir: String
        var ports: [String: Int]
        var process: AgentProcess?
    }

    func start(_ name: String, dataDir: String, join: String?, reusing ports: [String: Int]? = nil, expect: Int = 3) throws -> AgentProcess {
        var args = ["-server", "-bootstrap-expect", String(expect), "-data-dir", dataDir, "-node", name, "-bind", "127.0.0.1"]
        if let join { args += ["-retry-join", join, "-retry-interval", "1s"] }
        return try AgentProcess(extraArgs: args, dev: false, reusing: ports)
    }

    func leader(_ agent: AgentProcess) -> String {
        guard let r = try? HTTP.request("GET", "/v1/status/leader", port: agent.httpPort, timeoutMs: 2000), r.status == 200 else { return "" }
        return String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Waits until every agent names the same, non-empty leader; returns its RPC address.
    func agreedLeader(_ agents: [AgentProcess], seconds: Double, notBeing old: String? = nil) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let views = agents.map(leader)
            if let first = views.first, !first.isEmpty, first != old, views.allSatisfy({ $0 == first }) { return first }
            usleep(100_000)
        }
        return nil
    }

    func put(_ agent: AgentProcess, _ key: String, _ value: String) -> Bool {
        guard let r = try? HTTP.request("PUT", "/v1/kv/\(key)", port: agent.httpPort, body: Array(value.utf8), timeoutMs: 10_000) else { return false }
        return r.status == 200 && String(decoding: r.body, as: UTF8.self) == "true"
    }

    func get(_ agent: AgentProcess, _ key: String, query: String = "") -> String? {
        guard let r = try? HTTP.request("GET", "/v1/kv/\(key)?raw\(query)", port: agent.httpPort, timeoutMs: 10_000), r.status == 200 else { return nil }
        return String(decoding: r.body, as: UTF8.self)
    }

    /// Servers in the Raft configuration, as `/v1/operator/raft/configuration` lists them.
    func raftServerCount(_ agent: AgentProcess) -> Int {
        guard let r = try? HTTP.request("GET", "/v1/operator/raft/configuration", port: agent.httpPort, timeoutMs: 5000),
              r.status == 200 else { return -1 }
        return String(decoding: r.body, as: UTF8.self).components(separatedBy: "\"Voter\"").count - 1
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func threeServersReplicateFailOverAndSurviveKillAll() throws {
        let dirs = [try tempDir(), try tempDir(), try tempDir()]
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try start("s1", dataDir: dirs[0], join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        agents.append(try start("s2", dataDir: dirs[1], join: seed))
        agents.append(try start("s3", dataDir: dirs[2], join: seed))
        let ports = agents.map(\.ports)

        let firstLeader = try #require(agreedLeader(agents, seconds: 60), "no leader\n\(agents.map(\.log).joined(separator: "\n----\n"))")
        let peers = try HTTP.request("GET", "/v1/status/peers", port: agents[1].httpPort)
        #expect(String(decoding: peers.body, as: UTF8.self).split(separator: ",").count == 3)

        // Writes through every member (followers forward to the leader); reads everywhere.
        var acknowledged: [String: String] = [:]
        for (i, agent) in agents.enumerated() {
            #expect(put(agent, "k\(i)", "v\(i)"), "write through s\(i + 1) failed")
            acknowledged["k\(i)"] = "v\(i)"
        }
        for agent in agents {
            for (k, v) in acknowledged {
                #expect(get(agent, k) == v)
                #expect(get(agent, k, query: "&consistent") == v)
            }
        }

        // SIGKILL the leader: the other two elect a new one.
        let leaderIndex = try #require(agents.firstIndex { "127.0.0.1:\($0.ports["server-port"]!)" == firstLeader })
        agents[leaderIndex].stop()
        let survivors = agents.indices.filter { $0 != leaderIndex }.map { agents[$0] }
        let secondLeader = try #require(agreedLeader(survivors, seconds: 40, notBeing: firstLeader), "no new leader after killing \(firstLeader)")
        #expect(secondLeader != firstLeader)
        for i in 0..<5 {
            if put(survivors[i % 2], "after-\(i)", "x\(i)") { acknowledged["after-\(i)"] = "x\(i)" }
        }
        #expect(acknowledged.count == 8)

        // The killed server comes back on its data dir and catches up.
        agents[leaderIndex] = try start("s\(leaderIndex + 1)", dataDir: dirs[leaderIndex], join: leaderIndex == 0 ? nil : seed,
                                        reusing: ports[leaderIndex])
        let caughtUp = Date().addingTimeInterval(30)
        while Date() < caughtUp && get(agents[leaderIndex], "after-4", query: "&stale") != "x4" { usleep(200_000) }
        #expect(get(agents[leaderIndex], "after-4", query: "&stale") == "x4")

        // SIGKILL everything at once, restart on the same data dirs: nothing acknowledged is lost.
        for a in agents { a.stop() }
        agents = []
        for i in 0..<3 {
            agents.append(try start("s\(i + 1)", dataDir: dirs[i], join: i == 0 ? nil : seed, reusing: ports[i]))
        }
        _ = try #require(agreedLeader(agents, seconds: 60), "no leader after restart")
        for (k, v) in acknowledged {
            #expect(get(agents[2], k, query: "&consistent") == v, "lost \(k)")
        }
    }

    /// Three servers and two client agents in one LAN pool: a service registered on a client
    /// reaches the catalog through the servers; a SIGKILLed client gets `serfHealth` critical;
    /// a client that leaves is `left` and the leader deregisters it.
    @Test func clientsRegisterThroughServers() throws {
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try start("s1", dataDir: try tempDir(), join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        agents.append(try start("s2", dataDir: try tempDir(), join: seed))
        agents.append(try start("s3", dataDir: try tempDir(), join: seed))
        let clientArgs = { (name: String) in ["-data-dir", try self.tempDir(), "-node", name, "-bind", "127.0.0.1", "-retry-join", seed, "-retry-interval", "1s"] }
        let c1 = try AgentProcess(extraArgs: try clientArgs("c1"), dev: false)
        let c2 = try AgentProcess(extraArgs: try clientArgs("c2"), dev: false)
        agents += [c1, c2]
        _ = try #require(agreedLeader(Array(agents[0..<3]), seconds: 60), "no leader")

        let members = try runCLI(["members", "-http-addr=\(c2.httpAddress)"])
        let deadline = Date().addingTimeInterval(20)
        var lines = members.stdout.split(separator: "\n")
        while lines.filter({ $0.contains("alive") }).count < 5 && Date() < deadline {
            usleep(200_000)
            lines = (try runCLI(["members", "-http-addr=\(c2.httpAddress)"])).stdout.split(separator: "\n")
        }
        #expect(lines.filter { $0.contains("alive") && $0.contains("server") }.count == 3, "\(lines)")
        #expect(lines.filter { $0.contains("alive") && $0.contains("client") }.count == 2, "\(lines)")

        // A service registered on a client agent shows up in the catalog on every server.
        let register = try HTTP.request("PUT", "/v1/agent/service/register", port: c1.httpPort,
                                        body: Array(#"{"Name":"web","Port":8080}"#.utf8))
        #expect(register.status == 200)
        func webNodes(_ agent: AgentProcess) -> String {
            (try? HTTP.request("GET", "/v1/catalog/service/web", port: agent.httpPort, timeoutMs: 10_000))
                .map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        }
        let registered = Date().addingTimeInterval(20)
        while !webNodes(agents[2]).contains("\"c1\"") && Date() < registered { usleep(200_000) }
        #expect(webNodes(agents[2]).contains("\"c1\""))
        // Reads on a client are answered by a server.
        #expect(webNodes(c2).contains("\"c1\""))
        let kv = try HTTP.request("PUT", "/v1/kv/from-client", port: c2.httpPort, body: Array("hi".utf8))
        #expect(kv.status == 200)
        #expect(get(agents[0], "from-client", query: "&consistent") == "hi")

        // SIGKILL a client: the leader marks its serfHealth critical.
        c2.stop()
        func serfHealth(_ node: String) -> String {
            guard let r = try? HTTP.request("GET", "/v1/health/node/\(node)", port: agents[0].httpPort, timeoutMs: 10_000),
                  let list = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] else { return "" }
            return list.first { $0["CheckID"] as? String == "serfHealth" }?["Status"] as? String ?? ""
        }
        let failed = Date().addingTimeInterval(40)
        while serfHealth("c2") != "critical" && Date() < failed { usleep(250_000) }
        #expect(serfHealth("c2") == "critical")

        // A graceful leave: left in gossip, and the leader deregisters the node.
        let leave = try runCLI(["leave", "-http-addr=\(c1.httpAddress)"])
        #expect(leave.status == 0, "\(leave.stderr)")
        func hasNode(_ node: String) -> Bool {
            guard let r = try? HTTP.request("GET", "/v1/catalog/node/\(node)", port: agents[1].httpPort, timeoutMs: 10_000) else { return true }
            return String(decoding: r.body, as: UTF8.self) != "null"
        }
        let gone = Date().addingTimeInterval(30)
        while hasNode("c1") && Date() < gone { usleep(250_000) }
        #expect(!hasNode("c1"), "c1 still in the catalog")
        #expect(!webNodes(agents[1]).contains("\"c1\""))
    }

    /// Five servers tolerate two failures (the leader among them); autopilot then removes the dead
    /// two from the Raft configuration, so the three left tolerate one more failure; with two of
    /// those gone there is no quorum and writes are refused (not hung).
    @Test func fiveServersSurviveTwoFailures() throws {
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try start("f1", dataDir: try tempDir(), join: nil, expect: 5))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        for i in 2...5 { agents.append(try start("f\(i)", dataDir: try tempDir(), join: seed, expect: 5)) }
        let leader = try #require(agreedLeader(agents, seconds: 60), "no leader among 5")
        #expect(put(agents[4], "five", "1"))
        // Followers measure their leader contact (heartbeats every ~0.5 s with raft_multiplier 5).
        for agent in agents where "127.0.0.1:\(agent.ports["server-port"]!)" != leader {
            let r = try HTTP.request("GET", "/v1/kv/five?stale", port: agent.httpPort)
            let contact = Int(r.headers["X-Consul-LastContact"] ?? "") ?? -1
            #expect(contact >= 0 && contact < 3000, "X-Consul-LastContact \(contact)")
        }

        // Kill the leader and one follower.
        let leaderIndex = try #require(agents.firstIndex { "127.0.0.1:\($0.ports["server-port"]!)" == leader })
        let follower = (leaderIndex + 1) % 5
        agents[leaderIndex].stop()
        agents[follower].stop()
        let survivors = agents.indices.filter { $0 != leaderIndex && $0 != follower }.map { agents[$0] }
        _ = try #require(agreedLeader(survivors, seconds: 40, notBeing: leader), "no leader after two failures")
        #expect(put(survivors[0], "five", "2"))
        for s in survivors { #expect(get(s, "five", query: "&consistent") == "2") }

        // Dead-server cleanup: failed in gossip for the stabilization time → out of the configuration.
        let pruneDeadline = Date().addingTimeInterval(60)
        var voters = 5
        while Date() < pruneDeadline {
            voters = raftServerCount(survivors[0])
            if voters == 3 { break }
            usleep(500_000)
        }
        #expect(voters == 3, "the two dead servers were removed from the Raft configuration")
        survivors[1].stop()
        let killed = "127.0.0.1:\(survivors[1].ports["server-port"]!)"
        _ = try #require(agreedLeader([survivors[0], survivors[2]], seconds: 40, notBeing: killed), "no leader among the last two of three")
        #expect(put(survivors[0], "five", "3"), "two of three voters still make a quorum")

        // Another failure leaves one: no quorum, writes fail (after rpc_hold_timeout) rather than hang.
        survivors[2].stop()
        // Bounded by the request's own timeout: an answer (an error) must come, not a hang.
        let refused = try? HTTP.request("PUT", "/v1/kv/five", port: survivors[0].httpPort, body: Array("4".utf8), timeoutMs: 15_000)
        #expect((refused?.status ?? 0) >= 500, "no quorum: \(refused.map { "\($0.status) \($0.bodyText)" } ?? "no answer within 15 s")")
    }

    /// Proves `raft/peers.json` recovery: a 3-server cluster loses two servers for good; the
    /// operator writes a peers.json naming only the survivor, which then starts as a one-server
    /// cluster with every acknowledged write, accepts new ones, deletes the file, and stays that
    /// way across a SIGKILL and restart; a malformed peers.json refuses start-up.
    @Test func peersJSONRecoversTheSurvivor() throws {
        let dirs = [try tempDir(), try tempDir(), try tempDir()]
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try start("r1", dataDir: dirs[0], join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        for i in 2...3 { agents.append(try start("r\(i)", dataDir: dirs[i - 1], join: seed)) }
        _ = try #require(agreedLeader(agents, seconds: 60), "no leader among 3")
        for (i, agent) in agents.enumerated() { #expect(put(agent, "precious/\(i)", "v\(i)")) }
        for a in agents { a.stop() }

        let ports = agents[0].ports
        let nodeID = try String(contentsOfFile: dirs[0] + "/node-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let peersPath = dirs[0] + "/raft/peers.json"
        try Data("[{\"id\": \"\(nodeID)\"}]".utf8).write(to: URL(fileURLWithPath: peersPath))
        let refused = try runCLI(["agent", "-server", "-data-dir", dirs[0], "-node", "r1", "-bind", "127.0.0.1",
                                  "-http-port", String(ports["http-port"]!), "-server-port", String(ports["server-port"]!)],
                                 timeoutSeconds: 20)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("raft/peers.json"), "\(refused.stderr)")

        let peers = "[{\"id\": \"\(nodeID)\", \"address\": \"127.0.0.1:\(ports["server-port"]!)\", \"non_voter\": false}]"
        try Data(peers.utf8).write(to: URL(fileURLWithPath: peersPath))
        var survivor = try AgentProcess(extraArgs: ["-server", "-data-dir", dirs[0], "-node", "r1", "-bind", "127.0.0.1"],
                                        dev: false, reusing: ports)
        agents.append(survivor)
        _ = try #require(agreedLeader([survivor], seconds: 30), "the survivor did not lead")
        for i in 0..<3 { #expect(get(survivor, "precious/\(i)") == "v\(i)") }
        #expect(put(survivor, "after", "recovery"))
        #expect(!FileManager.default.fileExists(atPath: peersPath))

        survivor.stop()
        survivor = try AgentProcess(extraArgs: ["-server", "-data-dir", dirs[0], "-node", "r1", "-bind", "127.0.0.1"],
                                    dev: false, reusing: ports)
        agents.append(survivor)
        _ = try #require(agreedLeader([survivor], seconds: 30), "no leader after restarting the recovered server")
        #expect(get(survivor, "after") == "recovery")
        #expect(get(survivor, "precious/2") == "v2")
    }
}
