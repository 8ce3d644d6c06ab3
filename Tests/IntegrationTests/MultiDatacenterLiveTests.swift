import Foundation
import Glibc
import Testing

/// Two datacenters of three servers and one client each, where only a1 (dc1) joins the WAN
/// (to b1 in dc2): every other server must reach the WAN pool through flood join. Then every
/// agent of both datacenters lists both, forwards KV, catalog, health and DNS requests to the
/// other one, answers with an error (not a hang) while the other datacenter is frozen, keeps
/// serving its own datacenter meanwhile, and reaches the other one again once it resumes.
@Suite(.serialized) struct MultiDatacenterLiveTests {
    typealias Named = (name: String, agent: AgentProcess)

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-multidc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A server (or, with `server: false`, a client) of `dc` that retry-joins `join`'s LAN port
    /// and, when `wan` is given, `wan`'s WAN port.
    func start(_ name: String, dc: String, server: Bool, join: AgentProcess?, wan: AgentProcess?) throws -> AgentProcess {
        var args: [String] = server ? ["-server", "-bootstrap-expect", "3"] : []
        args += ["-data-dir", try tempDir(), "-bind", "127.0.0.1", "-node", name, "-datacenter", dc]
        if let join { args += ["-retry-join", "127.0.0.1:\(join.ports["serf-lan-port"]!)", "-retry-interval", "1s"] }
        if let wan { args += ["-retry-join-wan", "127.0.0.1:\(wan.ports["serf-wan-port"]!)"] }
        return try AgentProcess(extraArgs: args, dev: false)
    }

    /// One HTTP exchange; status 0 and an empty body when the request itself failed.
    func call(_ agent: AgentProcess, _ method: String, _ target: String, body: String? = nil,
              timeoutMs: Int = 10_000) -> (status: Int, body: String) {
        let bytes: [UInt8]? = body.map { Array($0.utf8) }
        guard let r = try? HTTP.request(method, target, port: agent.httpPort, body: bytes, timeoutMs: timeoutMs) else { return (0, "") }
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    func poll<T>(_ seconds: Double, every micros: UInt32 = 250_000, _ probe: () -> T, until done: (T) -> Bool) -> T {
        pollValue(seconds, every: micros, probe, until: done)
    }

    func datacenters(_ agent: AgentProcess) -> Set<String> {
        let r = call(agent, "GET", "/v1/catalog/datacenters")
        guard r.status == 200, let list = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String] else { return [] }
        return Set(list)
    }

    func dig(_ agent: AgentProcess, _ name: String) -> String {
        let args = ["dig", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "+time=2", "+tries=1", name, "+short"]
        return (try? runTool(args)) ?? ""
    }

    /// The last lines of an agent's output, for failure messages.
    func tail(_ named: Named, lines: Int = 25) -> String {
        let text = named.agent.log.split(separator: "\n").suffix(lines).joined(separator: "\n")
        return "\n--- \(named.name) log tail ---\n\(text)"
    }

    @Test func everyAgentReachesTheOtherDatacenter() throws {
        var all: [Named] = []
        defer { for n in all { n.agent.stop() } }
        func add(_ name: String, _ dc: String, server: Bool = true, join: Named?, wan: Named? = nil) throws -> Named {
            let agent = try start(name, dc: dc, server: server, join: join?.agent, wan: wan?.agent)
            let named: Named = (name: name, agent: agent)
            all.append(named)
            return named
        }
        let b1 = try add("b1", "dc2", join: nil)
        let b2 = try add("b2", "dc2", join: b1)
        let b3 = try add("b3", "dc2", join: b1)
        let bc = try add("bc", "dc2", server: false, join: b1)
        // Only a1 joins the WAN; a2, a3, b2, b3 must get there by flood join.
        let a1 = try add("a1", "dc1", join: nil, wan: b1)
        let a2 = try add("a2", "dc1", join: a1)
        let a3 = try add("a3", "dc1", join: a1)
        let ac = try add("ac", "dc1", server: false, join: a1)
        let dc1: [Named] = [a1, a2, a3, ac]
        let dc2: [Named] = [b1, b2, b3, bc]
        let everyone: [Named] = dc1 + dc2

        // A leader in each datacenter, as seen by all of its agents.
        func leader(_ n: Named) -> String {
            let r = call(n.agent, "GET", "/v1/status/leader", timeoutMs: 2000)
            guard r.status == 200 else { return "" }
            return r.body.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        for group in [dc1, dc2] {
            let views = poll(60, { group.map { leader($0) } }, until: { $0.allSatisfy { !$0.isEmpty } })
            try #require(views.allSatisfy { !$0.isEmpty },
                         "no leader in \(group.map { $0.name }): \(views)\(tail(group[0]))\(tail(group[1]))\(tail(group[2]))")
        }

        // Every agent lists both datacenters (order is by RTT, so compare as sets).
        let want: Set<String> = ["dc1", "dc2"]
        _ = poll(60, every: 500_000, { everyone.map { datacenters($0.agent) } }, until: { $0.allSatisfy { $0 == want } })
        for n in everyone {
            let got = datacenters(n.agent)
            let raw = call(n.agent, "GET", "/v1/catalog/datacenters")
            #expect(got == want, "/v1/catalog/datacenters via \(n.name): \(raw.status) \(raw.body)\(tail(n))")
        }
        for n in everyone {
            let out = try runCLI(["catalog", "datacenters", "-http-addr=\(n.agent.httpAddress)"])
            let names = Set(out.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(out.status == 0 && names == want, "catalog datacenters via \(n.name): \(out.status) \(out.stdout)\(out.stderr)")
        }

        // KV across datacenters, through servers and clients, in both directions.
        func expectGet(_ via: [Named], _ target: String, _ value: String, seconds: Double = 15) {
            for n in via {
                let r = poll(seconds, { call(n.agent, "GET", target) }, until: { $0.status == 200 && $0.body == value })
                #expect(r.status == 200 && r.body == value, "GET \(target) via \(n.name): \(r.status) \(r.body)\(tail(n))")
            }
        }
        let putDC2 = call(b1.agent, "PUT", "/v1/kv/where", body: "dc2")
        #expect(putDC2.status == 200 && putDC2.body == "true", "PUT where=dc2 on b1: \(putDC2.status) \(putDC2.body)")
        expectGet(dc1, "/v1/kv/where?dc=dc2&raw", "dc2")
        let cross = call(ac.agent, "PUT", "/v1/kv/from-dc1?dc=dc2", body: "hello")
        #expect(cross.status == 200 && cross.body == "true", "PUT from-dc1?dc=dc2 via ac: \(cross.status) \(cross.body)\(tail(ac))")
        expectGet([b2], "/v1/kv/from-dc1?raw", "hello")
        let putDC1 = call(a1.agent, "PUT", "/v1/kv/where", body: "dc1")
        #expect(putDC1.status == 200 && putDC1.body == "true", "PUT where=dc1 on a1: \(putDC1.status) \(putDC1.body)")
        expectGet(dc2, "/v1/kv/where?dc=dc1&raw", "dc1")

        // Catalog and health of dc2 through every dc1 agent.
        let register = #"{"Node":"db-node","Address":"10.1.2.3","Service":{"Service":"db","Port":5432}}"#
        let registered = call(b1.agent, "PUT", "/v1/catalog/register", body: register)
        #expect(registered.status == 200, "register on b1: \(registered.status) \(registered.body)")
        // A registration whose body names dc2 (python-consul's way), sent to a dc1 client, lands in dc2.
        let viaBody = call(ac.agent, "PUT", "/v1/catalog/register",
                           body: #"{"Datacenter":"dc2","Node":"body-node","Address":"10.1.2.4"}"#)
        #expect(viaBody.status == 200, "register with Datacenter dc2 via ac: \(viaBody.status) \(viaBody.body)\(tail(ac))")
        let landed = poll(15, { call(b1.agent, "GET", "/v1/catalog/node/body-node") }, until: { $0.body.contains("10.1.2.4") })
        #expect(landed.body.contains("10.1.2.4"), "body-node on b1: \(landed.status) \(landed.body)")
        let lookups = [("/v1/catalog/service/db?dc=dc2", "10.1.2.3"), ("/v1/health/service/db?dc=dc2", "db-node")]
        for n in dc1 {
            for (target, needle) in lookups {
                let r = poll(15, { call(n.agent, "GET", target) }, until: { $0.status == 200 && $0.body.contains(needle) })
                #expect(r.status == 200 && r.body.contains(needle), "GET \(target) via \(n.name): \(r.status) \(r.body)\(tail(n))")
            }
        }

        // DNS for dc2 names through every dc1 agent, servers and client.
        let questions = [("db.service.dc2.consul", "10.1.2.3\n"), ("b1.node.dc2.consul", "127.0.0.1\n")]
        for n in dc1 {
            for (name, answer) in questions {
                let got = poll(15, every: 500_000, { dig(n.agent, name) }, until: { $0 == answer })
                #expect(got == answer, "dig \(name) via \(n.name): \(got.debugDescription)\(tail(n))")
            }
        }

        // a2 never ran a WAN join, yet it is in the WAN pool.
        let info = try runCLI(["info", "-http-addr=\(a2.agent.httpAddress)"])
        #expect(info.status == 0 && info.stdout.contains("serf_wan:"), "consul info on a2: \(info.status)\n\(info.stdout)\(info.stderr)")

        // Freeze dc2's servers: a forwarded request gets an error answer, not a hang.
        for n in [b1, b2, b3] { n.agent.signal(SIGSTOP) }
        do {
            let r = try HTTP.request("GET", "/v1/kv/where?dc=dc2", port: ac.agent.httpPort, timeoutMs: 40_000)
            #expect(r.status >= 500, "GET where?dc=dc2 via ac while dc2 is frozen: \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        } catch {
            Issue.record("GET where?dc=dc2 via ac while dc2 is frozen got no answer within 40 s: \(error)\(tail(ac))\(tail(a1))")
        }
        // dc1 keeps serving meanwhile.
        let alive = call(a2.agent, "PUT", "/v1/kv/alive", body: "yes")
        #expect(alive.status == 200 && alive.body == "true", "PUT alive on a2 while dc2 is frozen: \(alive.status) \(alive.body)\(tail(a2))")
        let aliveRead = call(a2.agent, "GET", "/v1/kv/alive?raw")
        #expect(aliveRead.status == 200 && aliveRead.body == "yes", "GET alive on a2: \(aliveRead.status) \(aliveRead.body)\(tail(a2))")

        // Resume dc2: forwarding through the dc1 client works again.
        for n in [b1, b2, b3] { n.agent.signal(SIGCONT) }
        let back = poll(90, every: 500_000, { call(ac.agent, "GET", "/v1/kv/where?dc=dc2&raw") },
                        until: { $0.status == 200 && $0.body == "dc2" })
        #expect(back.status == 200 && back.body == "dc2",
                "GET where?dc=dc2&raw via ac after dc2 resumed: \(back.status) \(back.body)\(tail(ac))\(tail(b1))")
    }
}
