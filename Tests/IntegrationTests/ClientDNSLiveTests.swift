import Foundation
import Glibc
import HTTP1
import Testing

/// A client agent has no catalog of its own: its DNS interface and `?near=_agent` are answered
/// by the servers. A bootstrapped server `srv1` and a client `cli1` joined to it over loopback.
@Suite(.serialized) struct ClientDNSLiveTests {
    func dataDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-clientdns-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The last lines of an agent's output, for failure messages.
    func tail(_ agent: AgentProcess, _ name: String, lines: Int = 30) -> String {
        "\n--- \(name) log tail ---\n" + agent.log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// `srv1` (-server -bootstrap) and `cli1` (client, retry-joining srv1); returns once srv1
    /// names a leader and cli1 lists srv1 alive.
    func startServerAndClient() throws -> (server: AgentProcess, client: AgentProcess) {
        let server = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", try dataDir(), "-bind", "127.0.0.1",
                                                  "-node", "srv1"], dev: false)
        let seed = "127.0.0.1:\(server.ports["serf-lan-port"]!)"
        let client = try AgentProcess(extraArgs: ["-data-dir", try dataDir(), "-bind", "127.0.0.1", "-node", "cli1",
                                                  "-retry-join", seed, "-retry-interval", "1s"], dev: false)
        let leader = pollValue(30, { () -> String in
            guard let r = try? HTTP.request("GET", "/v1/status/leader", port: server.httpPort, timeoutMs: 2000), r.status == 200 else { return "" }
            return r.bodyText.trimmingCharacters(in: CharacterSet(charactersIn: "\" \n"))
        }, until: { !$0.isEmpty })
        try #require(!leader.isEmpty, "srv1 elected no leader\(tail(server, "srv1"))")
        let seen = pollValue(20, { memberStatus(client, "srv1") }, until: { $0 == 1 })
        try #require(seen == 1, "cli1 never listed srv1 alive\(tail(client, "cli1"))\(tail(server, "srv1"))")
        return (server, client)
    }

    /// serf status of `name` as `agent` sees it (1 alive), nil when not listed.
    func memberStatus(_ agent: AgentProcess, _ name: String) -> Int? {
        guard let r = try? HTTP.request("GET", "/v1/agent/members", port: agent.httpPort, timeoutMs: 5000),
              let list = r.json as? [[String: Any]] else { return nil }
        return list.first { $0["Name"] as? String == name }?["Status"] as? Int
    }

    func dig(_ agent: AgentProcess, _ args: [String]) -> String {
        (try? runTool(["dig", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "+time=2", "+tries=1"] + args)) ?? ""
    }

    /// Asks `agent` until the answer is `expected` or `seconds` pass; the last answer.
    func digUntil(_ agent: AgentProcess, _ args: [String], _ expected: String, seconds: Double = 10) -> String {
        pollValue(seconds, { dig(agent, args) }, until: { $0 == expected })
    }

    @Test func clientAnswersDNSThroughTheServers() throws {
        let (server, client) = try startServerAndClient()
        defer { server.stop(); client.stop() }
        func register(_ address: String) throws {
            let body = #"{"Node":"redis-node","Address":"\#(address)","Service":{"Service":"redis","Port":6379,"Tags":["primary"]}}"#
            let r = try HTTP.request("PUT", "/v1/catalog/register", port: server.httpPort, body: Array(body.utf8))
            try #require(r.status == 200, "register on srv1: \(r.status) \(r.bodyText)")
        }
        try register("10.0.0.7")
        let query = try HTTP.request("POST", "/v1/query", port: server.httpPort,
                                     body: Array(#"{"Name":"redisq","Service":{"Service":"redis"}}"#.utf8))
        try #require(query.status == 200, "prepared query create on srv1: \(query.status) \(query.bodyText)")

        // The first answer may wait for the client to learn its server; the rest come right after.
        let first = digUntil(client, ["redis.service.consul", "+short"], "10.0.0.7\n", seconds: 20)
        #expect(first == "10.0.0.7\n", "redis.service.consul via cli1: \(first.debugDescription)\(tail(client, "cli1"))")
        let cases: [([String], String)] = [
            (["primary.redis.service.consul", "+short"], "10.0.0.7\n"),
            (["_redis._tcp.service.consul", "SRV", "+short"], "1 1 6379 redis-node.node.dc1.consul.\n"),
            (["redis.service.dc1.consul", "+short"], "10.0.0.7\n"),
            (["srv1.node.consul", "+short"], "127.0.0.1\n"),
            (["-x", "10.0.0.7", "+short"], "redis-node.node.dc1.consul.\n"),
            (["redisq.query.consul", "+short"], "10.0.0.7\n"),
            (["redis.service.consul", "+short", "+tcp"], "10.0.0.7\n"),
        ]
        for (args, expected) in cases {
            let got = digUntil(client, args, expected)
            #expect(got == expected, "dig \(args.joined(separator: " ")) via cli1: \(got.debugDescription)\(tail(client, "cli1"))")
        }
        let missing = pollValue(10, { dig(client, ["nothere.service.consul"]) }, until: { $0.contains("status: NXDOMAIN") })
        #expect(missing.contains("status: NXDOMAIN"), "nothere.service.consul via cli1:\n\(missing)")

        // A change on the server shows in the client's next answers: nothing is served stale.
        try register("10.0.0.8")
        for (args, expected) in [(["redis.service.consul", "+short"], "10.0.0.8\n"),
                                 (["primary.redis.service.consul", "+short"], "10.0.0.8\n"),
                                 (["redisq.query.consul", "+short"], "10.0.0.8\n"),
                                 (["redis.service.consul", "+short", "+tcp"], "10.0.0.8\n"),
                                 (["-x", "10.0.0.8", "+short"], "redis-node.node.dc1.consul.\n")] {
            let got = digUntil(client, args, expected)
            #expect(got == expected, "after re-registering at 10.0.0.8, dig \(args.joined(separator: " ")) via cli1: \(got.debugDescription)")
        }
    }

    /// `?near=_agent` names the agent the request came in through: cli1 through the client,
    /// srv1 through the server (the client must not leave `_agent` for the server to resolve).
    @Test func nearAgentThroughAClientSortsTheClientFirst() throws {
        let (server, client) = try startServerAndClient()
        defer { server.stop(); client.stop() }
        func nodes(_ agent: AgentProcess, near: String) -> [String] {
            guard let r = try? HTTP.request("GET", "/v1/catalog/nodes?near=\(near)", port: agent.httpPort, timeoutMs: 5000),
                  r.status == 200, let list = r.json as? [[String: Any]] else { return [] }
            return list.compactMap { $0["Node"] as? String }
        }
        let both: Set<String> = ["srv1", "cli1"]
        let viaServer = pollValue(30, { nodes(server, near: "_agent") }, until: { Set($0) == both && $0.first == "srv1" })
        #expect(Set(viaServer) == both && viaServer.first == "srv1",
                "near=_agent via srv1: \(viaServer)\(tail(server, "srv1"))")
        // The client forwards ?near at all: a named node sorts first through it too.
        let namedViaClient = pollValue(20, { nodes(client, near: "srv1") }, until: { Set($0) == both && $0.first == "srv1" })
        #expect(Set(namedViaClient) == both && namedViaClient.first == "srv1", "near=srv1 via cli1: \(namedViaClient)")
        let viaClient = pollValue(30, { nodes(client, near: "_agent") }, until: { Set($0) == both && $0.first == "cli1" })
        #expect(Set(viaClient) == both && viaClient.first == "cli1",
                "near=_agent via cli1: \(viaClient)\(tail(client, "cli1"))")
    }
}
