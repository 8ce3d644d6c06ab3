import Foundation
import Glibc
import Testing

/// The operator surface against three real servers: `operator raft list-peers` shows one leader
/// and three voters, `consul info` reports each server's Raft state, `transfer-leader` moves
/// leadership (to any server, then to a chosen one) and every server agrees, autopilot health
/// turns 429 when a server is SIGKILLed, and `remove-peer` of that server shrinks the
/// configuration to two while the cluster keeps accepting writes.
@Suite(.serialized) struct OperatorLiveTests {
    func start(_ name: String, join: String?) throws -> AgentProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-operator-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var args = ["-server", "-bootstrap-expect", "3", "-data-dir", dir, "-node", name, "-bind", "127.0.0.1"]
        if let join { args += ["-retry-join", join, "-retry-interval", "1s"] }
        return try AgentProcess(extraArgs: args, dev: false)
    }

    func leader(_ agent: AgentProcess) -> String {
        guard let r = try? HTTP.request("GET", "/v1/status/leader", port: agent.httpPort, timeoutMs: 2000), r.status == 200 else { return "" }
        return String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Waits until every agent names the same non-empty leader (other than `old`, if given).
    func agreedLeader(_ agents: [AgentProcess], seconds: Double, notBeing old: String? = nil) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let views = agents.map(leader)
            if let first = views.first, !first.isEmpty, first != old, views.allSatisfy({ $0 == first }) { return first }
            usleep(100_000)
        }
        return nil
    }

    /// Polls `probe` every 200 ms until it returns non-nil or `seconds` pass.
    func eventually<T>(_ seconds: Double, _ probe: () -> T?) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = probe() { return value }
            usleep(200_000)
        }
        return probe()
    }

    func serverAddress(_ agent: AgentProcess) -> String { "127.0.0.1:\(agent.ports["server-port"]!)" }

    func nodeID(_ agent: AgentProcess) throws -> String {
        let r = try HTTP.request("GET", "/v1/agent/self", port: agent.httpPort)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        return try #require((json?["Config"] as? [String: Any])?["NodeID"] as? String)
    }

    /// `list-peers` data rows split into columns.
    func peers(_ agent: AgentProcess, stale: Bool = false) -> [[String]]? {
        guard let r = try? runCLI(["operator", "raft", "list-peers", "-http-addr=\(agent.httpAddress)"] + (stale ? ["-stale"] : [])),
              r.status == 0 else { return nil }
        let lines = r.stdout.split(separator: "\n").map(String.init)
        guard lines.first?.hasPrefix("Node") == true else { return nil }
        return lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    func raftState(_ agent: AgentProcess) -> String? {
        guard let r = try? runCLI(["info", "-http-addr=\(agent.httpAddress)"]), r.status == 0 else { return nil }
        guard let raft = r.stdout.components(separatedBy: "raft:\n").dropFirst().first else { return nil }
        let line = raft.split(separator: "\n").first { $0.hasPrefix("\tstate = ") }
        return line.map { String($0.dropFirst("\tstate = ".count)) }
    }

    func put(_ agent: AgentProcess, _ key: String, _ value: String) -> Bool {
        guard let r = try? HTTP.request("PUT", "/v1/kv/\(key)", port: agent.httpPort, body: Array(value.utf8), timeoutMs: 10_000) else { return false }
        return r.status == 200 && String(decoding: r.body, as: UTF8.self) == "true"
    }

    @Test func listTransferRemoveAndInfo() throws {
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try start("s1", join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        agents.append(try start("s2", join: seed))
        agents.append(try start("s3", join: seed))
        let ids = try agents.map(nodeID)
        let first = try #require(agreedLeader(agents, seconds: 60), "no leader\n\(agents.map(\.log).joined(separator: "\n----\n"))")

        // Autopilot settings go through Raft: set on a follower-or-leader now, read back after
        // two leadership transfers below. Dead-server cleanup off, so the manual remove-peer
        // at the end is the one that removes the killed server.
        let setting = try HTTP.request("PUT", "/v1/operator/autopilot/configuration", port: agents[1].httpPort,
                                       body: Array(#"{"CleanupDeadServers":false,"MaxTrailingLogs":300}"#.utf8))
        #expect(setting.status == 200 && setting.bodyText.contains("true"), "\(setting.bodyText)")

        // list-peers: three voters, exactly one leader, the one everyone names.
        let rows = try #require(eventually(20) { peers(agents[1]).flatMap { $0.count == 3 ? $0 : nil } }, "list-peers never showed 3 servers")
        #expect(rows.filter { $0[3] == "leader" }.count == 1)
        #expect(rows.filter { $0[3] == "follower" }.count == 2)
        #expect(rows.allSatisfy { $0[4] == "true" && $0[5] == "3" })
        #expect(rows.first { $0[3] == "leader" }?[2] == first)
        #expect(Set(rows.map { $0[1] }) == Set(ids))
        #expect(rows.first { $0[3] == "leader" }?.last == "-")
        #expect(peers(agents[2], stale: true)?.count == 3)

        // consul info: the raft section says who leads.
        let leaderIndex = try #require(agents.firstIndex { serverAddress($0) == first })
        for (i, agent) in agents.enumerated() {
            #expect(raftState(agent) == (i == leaderIndex ? "Leader" : "Follower"), "info on s\(i + 1)")
        }

        // Autopilot: all healthy, one failure tolerated.
        let health = try HTTP.request("GET", "/v1/operator/autopilot/health", port: agents[0].httpPort)
        #expect(health.status == 200, "\(health.bodyText)")
        let healthJSON = try JSONSerialization.jsonObject(with: Data(health.body)) as? [String: Any]
        #expect(healthJSON?["FailureTolerance"] as? Int == 1)
        #expect((healthJSON?["Servers"] as? [Any])?.count == 3)

        // transfer-leader through a follower (forwarded to the leader): leadership moves.
        let follower = agents.indices.first { $0 != leaderIndex }!
        let transfer = try runCLI(["operator", "raft", "transfer-leader", "-http-addr=\(agents[follower].httpAddress)"])
        #expect(transfer.status == 0, "\(transfer.stderr)")
        #expect(transfer.stdout == "Success\n")
        let second = try #require(agreedLeader(agents, seconds: 20, notBeing: first), "leadership did not move from \(first)")
        #expect(second != first)

        // transfer-leader -id: to a chosen server.
        let secondIndex = try #require(agents.firstIndex { serverAddress($0) == second })
        let chosen = agents.indices.first { $0 != secondIndex }!
        let targeted = try runCLI(["operator", "raft", "transfer-leader", "-id=\(ids[chosen])", "-http-addr=\(agents[secondIndex].httpAddress)"])
        #expect(targeted.status == 0, "\(targeted.stderr)")
        let third = agreedLeader(agents, seconds: 20, notBeing: second)
        #expect(third == serverAddress(agents[chosen]))
        let settings = try HTTP.request("GET", "/v1/operator/autopilot/configuration", port: agents[chosen].httpPort)
        let settingsJSON = try JSONSerialization.jsonObject(with: Data(settings.body)) as? [String: Any]
        #expect(settingsJSON?["CleanupDeadServers"] as? Bool == false, "\(settings.bodyText)")
        #expect(settingsJSON?["MaxTrailingLogs"] as? Int == 300)
        #expect((settingsJSON?["ModifyIndex"] as? Int ?? 0) > 0)

        // Unknown peers are refused with Consul's message.
        let nope = try runCLI(["operator", "raft", "remove-peer", "-address=nope", "-http-addr=\(agents[0].httpAddress)"])
        #expect(nope.status == 1)
        #expect(nope.stderr.contains("address \"nope\" was not found in the Raft configuration"), "\(nope.stderr)")

        // SIGKILL a follower: autopilot reports it unhealthy (429) once gossip marks it failed.
        let leaderNow = try #require(agreedLeader(agents, seconds: 20))
        let victim = agents.indices.first { serverAddress(agents[$0]) != leaderNow }!
        let survivors = agents.indices.filter { $0 != victim }.map { agents[$0] }
        agents[victim].stop()
        let unhealthy = eventually(40) { () -> Bool? in
            let r = try? HTTP.request("GET", "/v1/operator/autopilot/health", port: survivors[0].httpPort, timeoutMs: 10_000)
            return r?.status == 429 ? true : nil
        }
        #expect(unhealthy == true, "autopilot never reported the killed server unhealthy")

        // remove-peer through a survivor: the configuration shrinks to two, writes still commit.
        let remove = try runCLI(["operator", "raft", "remove-peer", "-id=\(ids[victim])", "-http-addr=\(survivors[1].httpAddress)"])
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(remove.stdout == "Removed peer with id \"\(ids[victim])\"\n")
        for agent in survivors {
            let shrunk = eventually(10) { peers(agent, stale: true).flatMap { $0.count == 2 ? $0 : nil } }
            #expect(shrunk != nil, "configuration on \(agent.httpAddress) still lists \(peers(agent, stale: true) ?? [])")
            #expect(shrunk?.contains { $0[1] == ids[victim] } == false)
        }
        #expect(put(survivors[0], "after-remove", "1"))
        #expect(put(survivors[1], "after-remove-2", "2"))
        let healed = try HTTP.request("GET", "/v1/operator/autopilot/health", port: survivors[1].httpPort)
        #expect(healed.status == 200, "\(healed.bodyText)")
    }
}
