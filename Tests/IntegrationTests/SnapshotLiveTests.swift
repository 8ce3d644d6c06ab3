import Foundation
import Glibc
import HTTP1
import Testing

/// Backups against the real binary (docs/snapshot.md): `consul snapshot save|restore|inspect`
/// over `/v1/snapshot`, bad archives refused with the state untouched, py-consul's calls, and a
/// three-server restore that every server — one stopped during it included — ends up with,
/// surviving SIGKILL of all three.
@Suite(.serialized) struct SnapshotLiveTests {
    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-snap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func text(_ r: HTTPClientResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    /// What the state looks like to clients: every key with its value, and the services.
    private func visibleState(_ port: Int, query: String = "") throws -> String {
        let kv = try HTTP.get("/v1/kv/?recurse\(query)", port: port)
        let services = try HTTP.get("/v1/catalog/services\(query.isEmpty ? "" : "?" + query.dropFirst())", port: port)
        return "\(kv.status) \(text(kv).replacingOccurrences(of: #""(Create|Modify|Lock)Index":\d+"#, with: "", options: .regularExpression)) | \(text(services))"
    }

    /// Each kind of bad archive is a 400 naming the problem, and nothing changes.
    @Test func badArchivesAreRefusedAndChangeNothing() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        for i in 0..<20 { _ = try HTTP.put("/v1/kv/app/k\(i)", port: agent.httpPort, body: "value \(i)") }
        let saved = try HTTP.get("/v1/snapshot", port: agent.httpPort)
        #expect(saved.status == 200)
        let good = saved.body
        let before = try visibleState(agent.httpPort)
        let indexBefore = try HTTP.get("/v1/kv/app/k1", port: agent.httpPort).index
        var flipped = good
        flipped[good.count / 2] ^= 0x01
        let gzip = try runToolWithInput(["gzip", "-c"], input: Data(good))
        var generator = SystemRandomNumberGenerator()
        let cases: [(String, [UInt8], String)] = [
            ("truncated", Array(good.prefix(good.count / 2)), "truncated"),
            ("one flipped byte", flipped, "snapshot archive refused"),
            ("gzip'd archive", [UInt8](gzip), "gzip-compressed"),
            ("random bytes", (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }, "not a valid tar"),
            ("empty body", [], "empty"),
        ]
        for (name, body, expected) in cases {
            let r = try HTTP.request("PUT", "/v1/snapshot", port: agent.httpPort, body: body)
            #expect(r.status == 400, "\(name): \(r.status) \(text(r))")
            #expect(text(r).contains(expected), "\(name): \(text(r))")
        }
        #expect(try visibleState(agent.httpPort) == before)
        #expect(try HTTP.get("/v1/kv/app/k1", port: agent.httpPort).index == indexBefore)
        // The good archive still restores (the refusals left nothing half-done).
        #expect(try HTTP.request("PUT", "/v1/snapshot", port: agent.httpPort, body: good).status == 200)
    }

    /// The CLI round trip on one agent: save (verified, 0600), inspect, restore; a blocking query
    /// parked before the restore wakes, and its index moves forward.
    @Test func cliSaveInspectRestore() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let env = ["CONSUL_HTTP_ADDR": agent.httpAddress]
        for i in 0..<30 { _ = try HTTP.put("/v1/kv/app/config/k\(i)", port: agent.httpPort, body: #"{"replicas":\#(i)}"#) }
        _ = try HTTP.put("/v1/kv/other", port: agent.httpPort, body: "x")
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/backup.snap"
        let save = try runCLI(["snapshot", "save", file], environment: env)
        #expect(save.status == 0, "\(save.stderr)")
        #expect(save.stdout.range(of: #"^Saved and verified snapshot to index \d+\n$"#, options: .regularExpression) != nil, "\(save.stdout)")
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(!FileManager.default.fileExists(atPath: file + ".unverified"))

        let inspect = try runCLI(["snapshot", "inspect", "-kvdetails", "-kvdepth", "2", file])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains(" Index  "))
        #expect(inspect.stdout.range(of: #"\n KVS +31 +"#, options: .regularExpression) != nil, "\(inspect.stdout)")
        #expect(inspect.stdout.range(of: #"\n app/config +30 +"#, options: .regularExpression) != nil, "\(inspect.stdout)")
        let json = try runCLI(["snapshot", "inspect", "-format", "json", file])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((doc["Meta"] as? [String: Any])?["Index"] as? Int != nil)
        #expect(doc["StatsKV"] is NSNull)

        _ = try HTTP.put("/v1/kv/app/config/k1", port: agent.httpPort, body: "changed")
        _ = try HTTP.delete("/v1/kv/other", port: agent.httpPort)
        let current = try HTTP.get("/v1/kv/app/config/k1", port: agent.httpPort)
        let parkedIndex = try #require(current.index)
        // Parked before the restore; must wake with an index that did not go backwards.
        var woken: HTTPClientResponse?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            woken = try? HTTP.request("GET", "/v1/kv/app/config/k1?index=\(parkedIndex)&wait=60s", port: agent.httpPort, timeoutMs: 70_000)
            done.signal()
        }
        _ = pollValue(5, { try? HTTP.get("/v1/agent/self", port: agent.httpPort).status }, until: { $0 == 200 })
        let restore = try runCLI(["snapshot", "restore", file], environment: env)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout == "Restored snapshot\n")
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(woken?.status == 200)
        #expect((woken?.index ?? 0) > parkedIndex)
        #expect(text(try HTTP.get("/v1/kv/app/config/k1?raw", port: agent.httpPort)) == #"{"replicas":1}"#)
        #expect(try HTTP.get("/v1/kv/other?raw", port: agent.httpPort).status == 200)

        let missing = try runCLI(["snapshot", "restore", dir + "/nope.snap"], environment: env)
        #expect(missing.status == 1 && missing.stderr.hasPrefix("Error opening snapshot file:"))
        #expect(try runCLI(["snapshot", "save"], environment: env).stderr == "Missing FILE argument\n")
    }

    /// py-consul's `snapshot.save()` / `restore()` round-trip.
    @Test(.enabled(if: toolTestEnabled(pyConsulInstalled())))
    func pyConsulRoundTrip() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let script = """
        import sys, consul
        c = consul.Consul(host="127.0.0.1", port=int(sys.argv[1]))
        c.kv.put("py/key", "before")
        data = c.snapshot.save()
        assert isinstance(data, bytes) and len(data) > 0, type(data)
        c.kv.put("py/key", "after")
        assert c.snapshot.restore(data) is True
        index, entry = c.kv.get("py/key")
        assert entry["Value"] == b"before", entry
        print("ok")
        """
        let out = try runTool(["python3", "-c", script, String(agent.httpPort)], timeoutSeconds: 60)
        #expect(out == "ok\n")
    }

    /// Three servers: save; change keys, services, sessions and a prepared query; stop one
    /// server; restore through a follower; every server returns the saved state (the stopped
    /// one once restarted), and still does after SIGKILL of all three.
    @Test func threeServerRestoreSurvivesKillAll() throws {
        let cluster = ClusterLiveTests()
        let dirs = [try tempDir(), try tempDir(), try tempDir()]
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        agents.append(try cluster.start("s1", dataDir: dirs[0], join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        agents.append(try cluster.start("s2", dataDir: dirs[1], join: seed))
        agents.append(try cluster.start("s3", dataDir: dirs[2], join: seed))
        let ports = agents.map(\.ports)
        let leaderAddress = try #require(cluster.agreedLeader(agents, seconds: 60), "no leader")

        // Restore through one follower while the other is stopped (the leader stays up, so the
        // restore needs no election); the session lives on the follower's node, which stays up.
        let isLeader = { (a: AgentProcess) in "127.0.0.1:\(a.ports["server-port"]!)" == leaderAddress }
        let followers = agents.indices.filter { !isLeader(agents[$0]) }
        try #require(followers.count == 2)
        let follower = agents[followers[0]]
        let stoppedIndex = followers[1]

        // The saved state: keys, a service, a session holding a lock, a prepared query.
        let port = follower.httpPort
        for i in 0..<10 { #expect(cluster.put(agents[i % 3], "saved/k\(i)", "v\(i)")) }
        let register = #"{"Node":"ext","Address":"10.1.1.1","Service":{"Service":"billing","Port":9000}}"#
        #expect(try HTTP.request("PUT", "/v1/catalog/register", port: port, body: Array(register.utf8)).status == 200)
        let session = try #require((try HTTP.request("PUT", "/v1/session/create", port: port,
                                                    body: Array(#"{"Name":"backup-test","TTL":"600s"}"#.utf8)).json as? [String: Any])?["ID"] as? String)
        #expect(text(try HTTP.put("/v1/kv/saved/lock?acquire=\(session)", port: port, body: "held")) == "true")
        let query = #"{"Name":"billing-q","Service":{"Service":"billing"}}"#
        #expect(try HTTP.request("POST", "/v1/query", port: port, body: Array(query.utf8)).status == 200)

        let file = dirs[0] + "/cluster.snap"
        let save = try runCLI(["snapshot", "save", file], environment: ["CONSUL_HTTP_ADDR": follower.httpAddress])
        #expect(save.status == 0, "\(save.stderr)")
        let savedView = try visibleState(port, query: "&stale")

        // Change all of it.
        for i in 0..<10 { #expect(cluster.put(agents[i % 3], "saved/k\(i)", "changed")) }
        #expect(cluster.put(agents[1], "new/key", "x"))
        #expect(try HTTP.request("PUT", "/v1/catalog/deregister", port: port, body: Array(#"{"Node":"ext"}"#.utf8)).status == 200)
        #expect(try HTTP.request("PUT", "/v1/session/destroy/\(session)", port: port, body: []).status == 200)
        let queries = try #require(try HTTP.get("/v1/query", port: port).json as? [[String: Any]])
        for q in queries { _ = try HTTP.request("DELETE", "/v1/query/\(q["ID"] as! String)", port: port) }

        agents[stoppedIndex].stop()
        let restore = try runCLI(["snapshot", "restore", file], environment: ["CONSUL_HTTP_ADDR": follower.httpAddress],
                                 timeoutSeconds: 60)
        #expect(restore.status == 0, "\(restore.stderr)")
        for (i, agent) in agents.enumerated() where i != stoppedIndex {
            let view = pollValue(20, { (try? self.visibleState(agent.httpPort, query: "&stale")) ?? "" }, until: { $0 == savedView })
            #expect(view == savedView, "server \(i + 1) after the restore")
        }
        let sessions = try HTTP.get("/v1/session/info/\(session)?stale", port: follower.httpPort)
        #expect(text(sessions).contains(session))
        #expect(text(try HTTP.get("/v1/query?stale", port: follower.httpPort)).contains("billing-q"))

        // The stopped server catches up once restarted.
        agents[stoppedIndex] = try cluster.start("s\(stoppedIndex + 1)", dataDir: dirs[stoppedIndex], join: seed, reusing: ports[stoppedIndex])
        let caughtUp = pollValue(60, { (try? self.visibleState(agents[stoppedIndex].httpPort, query: "&stale")) ?? "" }, until: { $0 == savedView })
        #expect(caughtUp == savedView, "the stopped server did not catch up")

        // SIGKILL all three at once; after restart the saved state is still there.
        for a in agents { a.stop() }
        agents = []
        for i in 0..<3 {
            agents.append(try cluster.start("s\(i + 1)", dataDir: dirs[i], join: i == 0 ? nil : seed, reusing: ports[i]))
        }
        _ = try #require(cluster.agreedLeader(agents, seconds: 60), "no leader after restart")
        for (i, agent) in agents.enumerated() {
            let view = pollValue(30, { (try? self.visibleState(agent.httpPort, query: "&stale")) ?? "" }, until: { $0 == savedView })
            #expect(view == savedView, "server \(i + 1) after SIGKILL of all three")
        }
    }
}

func pyConsulInstalled() -> Bool {
    (try? runTool(["python3", "-c", "import consul; consul.Consul().snapshot; print('yes')"])) == "yes\n"
}

/// Runs a tool with `input` on its stdin and returns its stdout.
func runToolWithInput(_ arguments: [String], input: Data) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = try OutputFile()
    let stdin = Pipe()
    process.standardOutput = out.handle
    process.standardInput = stdin
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    return out.contents()
}

/// `consul snapshot agent`: one-shot runs keep the newest `-retain`; two daemons against one
/// agent elect one saver through the KV lock, and SIGTERM releases it.
@Suite(.serialized) struct SnapshotAgentLiveTests {
    private func snapshots(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".snap") }.sorted()
    }

    @Test func oneShotRunsPruneToRetain() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snap-agent-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["CONSUL_HTTP_ADDR": agent.httpAddress]
        var names: [String] = []
        for i in 0..<3 {
            _ = try HTTP.put("/v1/kv/round", port: agent.httpPort, body: "\(i)")
            let run = try runCLI(["snapshot", "agent", "-interval", "0", "-retain", "2", "-local-path", dir], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("Saved snapshot consul-"))
            names = snapshots(in: dir)
        }
        #expect(names.count == 2, "\(names)")
        for name in names {
            let inspect = try runCLI(["snapshot", "inspect", dir + "/" + name])
            #expect(inspect.status == 0, "\(inspect.stderr)")
        }
    }

    @Test func twoDaemonsElectOneSaver() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let dirs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("snap-daemon-\(UUID().uuidString)").path }
        for d in dirs { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        let binary = try consulBinary()
        let daemons = try dirs.map { dir -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["snapshot", "agent", "-http-addr", agent.httpAddress, "-interval", "1s", "-retain", "3", "-local-path", dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        defer { for d in daemons where d.isRunning { kill(d.processIdentifier, SIGKILL) } }
        // One of them takes snapshots (at most -retain kept); the other only waits.
        let counts = pollValue(30, { dirs.map { self.snapshots(in: $0).count } }, until: { $0.max() ?? 0 >= 3 })
        #expect(counts.max() == 3 && counts.min() == 0, "\(counts)")
        let lock = try HTTP.get("/v1/kv/consul-snapshot/lock", port: agent.httpPort)
        let holder = (lock.json as? [[String: Any]])?.first?["Session"] as? String
        #expect(holder?.isEmpty == false)
        // SIGTERM: both exit 0, the lock is released and their sessions destroyed.
        for d in daemons { kill(d.processIdentifier, SIGTERM) }
        for d in daemons { d.waitUntilExit(); #expect(d.terminationStatus == 0) }
        let after = try HTTP.get("/v1/kv/consul-snapshot/lock", port: agent.httpPort)
        #expect(((after.json as? [[String: Any]])?.first?["Session"] as? String ?? "") == "")
        let sessions = String(decoding: try HTTP.get("/v1/session/list", port: agent.httpPort).body, as: UTF8.self)
        #expect(sessions.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(sessions)")
    }
}
