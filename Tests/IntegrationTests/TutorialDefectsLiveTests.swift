import Foundation
import Glibc
import HTTP1
import Testing

/// Behaviours a reader of Consul's tutorials meets in the first hour: members of a dev agent's
/// pool in its catalog, every server in the `consul` service, gossip encryption reported, a
/// failed reload reported, the unknown-command help, start-up warnings, and tag override.
@Suite(.serialized) struct TutorialDefectsLiveTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-tutorial-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func tail(_ agent: AgentProcess, _ name: String = "agent", lines: Int = 30) -> String {
        "\n--- \(name) log tail ---\n" + agent.log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Waits (bounded) until the agent's streamed output contains `text`.
    func logContains(_ agent: AgentProcess, _ text: String, seconds: Double = 10) -> Bool {
        pollValue(seconds, { agent.log.contains(text) }, until: { $0 })
    }

    func leader(_ agent: AgentProcess) -> String {
        guard let r = try? HTTP.request("GET", "/v1/status/leader", port: agent.httpPort, timeoutMs: 2000), r.status == 200 else { return "" }
        return r.bodyText.trimmingCharacters(in: CharacterSet(charactersIn: "\" \n"))
    }

    /// Status of the `serfHealth` check of `node` as `agent` reports it ("" when absent).
    func serfHealth(_ agent: AgentProcess, _ node: String) -> String {
        guard let r = try? HTTP.request("GET", "/v1/health/node/\(node)", port: agent.httpPort, timeoutMs: 5000),
              let list = r.json as? [[String: Any]] else { return "" }
        return list.first { $0["CheckID"] as? String == "serfHealth" }?["Status"] as? String ?? ""
    }

    // MARK: 2. A dev agent's gossip members reach its catalog

    @Test func devAgentReconcilesGossipMembersIntoTheCatalog() throws {
        let dev = try AgentProcess()
        defer { dev.stop() }
        let joiner = try AgentProcess(extraArgs: ["-data-dir", try tempDir(), "-bind", "127.0.0.1", "-node", "joiner",
                                                  "-retry-join", "127.0.0.1:\(dev.ports["serf-lan-port"]!)", "-retry-interval", "1s"],
                                      dev: false)
        defer { joiner.stop() }
        let passing = pollValue(20, { serfHealth(dev, "joiner") }, until: { $0 == "passing" })
        let body = (try? HTTP.request("GET", "/v1/health/node/joiner", port: dev.httpPort, timeoutMs: 5000))?.bodyText ?? ""
        #expect(passing == "passing", "joiner's serfHealth on the dev agent: \(passing.debugDescription)\n\(body)\(tail(dev, "dev"))\(tail(joiner, "joiner"))")
        #expect(body.contains("serfHealth"), "\(body)")

        // SIGKILL: the dev agent (the leader) marks the member's serfHealth critical.
        joiner.stop()
        let failed = pollValue(30, { serfHealth(dev, "joiner") }, until: { $0 == "critical" })
        #expect(failed == "critical", "joiner's serfHealth after SIGKILL: \(failed.debugDescription)\(tail(dev, "dev"))")
    }

    // MARK: 3. Every server is an instance of the `consul` service

    @Test func threeServersAreThreeConsulInstances() throws {
        var agents: [AgentProcess] = []
        defer { for a in agents { a.stop() } }
        func start(_ name: String, join: String?) throws -> AgentProcess {
            var args = ["-server", "-bootstrap-expect", "3", "-data-dir", try tempDir(), "-node", name, "-bind", "127.0.0.1"]
            if let join { args += ["-retry-join", join, "-retry-interval", "1s"] }
            return try AgentProcess(extraArgs: args, dev: false)
        }
        agents.append(try start("s1", join: nil))
        let seed = "127.0.0.1:\(agents[0].ports["serf-lan-port"]!)"
        agents.append(try start("s2", join: seed))
        agents.append(try start("s3", join: seed))
        let agreed = pollValue(60, { agents.map(leader) }, until: { views in !views[0].isEmpty && views.allSatisfy { $0 == views[0] } })
        try #require(!agreed[0].isEmpty && agreed.allSatisfy { $0 == agreed[0] },
                     "no agreed leader: \(agreed)\(tail(agents[0], "s1"))")

        func instances(_ agent: AgentProcess) -> [String] {
            guard let r = try? HTTP.request("GET", "/v1/catalog/service/consul", port: agent.httpPort, timeoutMs: 5000),
                  let list = r.json as? [[String: Any]] else { return [] }
            return list.compactMap { $0["Node"] as? String }.sorted()
        }
        let nodes = pollValue(10, { instances(agents[1]) }, until: { $0 == ["s1", "s2", "s3"] })
        #expect(nodes == ["s1", "s2", "s3"], "consul service instances: \(nodes)\(tail(agents[0], "s1"))")
    }

    // MARK: 4. Gossip encryption is reported

    @Test func gossipEncryptionIsReported() throws {
        let keygen = try runCLI(["keygen"])
        try #require(keygen.status == 0, "keygen: \(keygen.stderr)")
        let key = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let encrypted = try AgentProcess(extraArgs: ["-encrypt", key])
        defer { encrypted.stop() }
        #expect(logContains(encrypted, "Gossip Encryption: true"), "banner with -encrypt\(tail(encrypted))")
        let info = try runCLI(["info", "-http-addr=\(encrypted.httpAddress)"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("encrypted = true"), "\(info.stdout)")
        #expect(!info.stdout.contains("encrypted = false"), "\(info.stdout)")

        let plain = try AgentProcess()
        defer { plain.stop() }
        #expect(logContains(plain, "Gossip Encryption: false"), "banner without -encrypt\(tail(plain))")
        #expect(!plain.log.contains("Gossip Encryption: true"))
        let plainInfo = try runCLI(["info", "-http-addr=\(plain.httpAddress)"])
        #expect(plainInfo.status == 0, "\(plainInfo.stderr)")
        #expect(plainInfo.stdout.contains("known_datacenters = 1"), "\(plainInfo.stdout)")
        #expect(plainInfo.stdout.contains("serf_wan:"), "\(plainInfo.stdout)")
        #expect(plainInfo.stdout.contains("encrypted = false"), "\(plainInfo.stdout)")
    }

    // MARK: 5. A failed reload is reported

    @Test func failedReloadIsReported() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(#"{"service":{"name":"web","port":80}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/web.json"))
        let agent = try AgentProcess(extraArgs: ["-config-dir", dir])
        defer { agent.stop() }
        func serviceStatus(_ id: String) -> Int {
            (try? HTTP.request("GET", "/v1/agent/service/\(id)", port: agent.httpPort, timeoutMs: 5000))?.status ?? 0
        }
        #expect(pollValue(10, { serviceStatus("web") }, until: { $0 == 200 }) == 200, "web from the config dir\(tail(agent))")

        // An invalid check interval: the reload must fail, loudly.
        let bad = #"{"service":{"name":"bad","port":80,"check":{"http":"http://127.0.0.1:1/","interval":"not-a-duration"}}}"#
        try Data(bad.utf8).write(to: URL(fileURLWithPath: dir + "/bad.json"))
        let failed = try runCLI(["reload", "-http-addr=\(agent.httpAddress)"])
        #expect(failed.status == 1, "reload with bad.json exited \(failed.status)\nstdout: \(failed.stdout)\nstderr: \(failed.stderr)")
        #expect(failed.stderr.hasPrefix("Error reloading:"), "stderr: \(failed.stderr)")
        #expect(failed.stderr.contains("500"), "stderr: \(failed.stderr)")
        #expect(!failed.stdout.contains("Configuration reload triggered"), "stdout: \(failed.stdout)")
        let http = try HTTP.request("PUT", "/v1/agent/reload", port: agent.httpPort)
        #expect(http.status == 500, "PUT /v1/agent/reload: \(http.status) \(http.bodyText)")
        #expect(!http.bodyText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "500 without a reason")
        #expect(serviceStatus("web") == 200, "the valid definition is still registered")
        #expect(serviceStatus("bad") == 404, "the invalid definition was registered anyway")

        try FileManager.default.removeItem(atPath: dir + "/bad.json")
        let fixed = try runCLI(["reload", "-http-addr=\(agent.httpAddress)"])
        #expect(fixed.status == 0, "reload after removing bad.json: \(fixed.status) \(fixed.stderr)")
        #expect(fixed.stdout.contains("Configuration reload triggered"), "stdout: \(fixed.stdout)")
        #expect(serviceStatus("web") == 200)
    }

    // MARK: 7. Unknown command

    @Test func unknownCommandPrintsTheCommandList() throws {
        let result = try runCLI(["nosuchcommand"])
        #expect(result.status == 127, "exit \(result.status)")
        #expect(result.stderr.contains("Usage: consul [--version] [--help] <command> [<args>]"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("Available commands are:"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)")
    }

    // MARK: 8. Start-up warnings

    @Test func startupWarnings() throws {
        let bootstrap = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", try tempDir(), "-bind", "127.0.0.1",
                                                     "-node", "warn-boot"], dev: false)
        #expect(logContains(bootstrap, "bootstrap = true: do not enable unless necessary"), "-bootstrap\(tail(bootstrap))")
        bootstrap.stop()

        let two = try AgentProcess(extraArgs: ["-server", "-bootstrap-expect", "2", "-data-dir", try tempDir(), "-bind", "127.0.0.1",
                                               "-node", "warn-two"], dev: false)
        #expect(logContains(two, "bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance."),
                "-bootstrap-expect 2\(tail(two))")
        #expect(logContains(two, "bootstrap_expect > 0: expecting 2 servers"), "-bootstrap-expect 2\(tail(two))")
        two.stop()

        let four = try AgentProcess(extraArgs: ["-server", "-bootstrap-expect", "4", "-data-dir", try tempDir(), "-bind", "127.0.0.1",
                                                "-node", "warn-four"], dev: false)
        #expect(logContains(four, "bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance."),
                "-bootstrap-expect 4\(tail(four))")
        four.stop()

        let underscore = try AgentProcess(extraArgs: ["-node", "my_node"])
        defer { underscore.stop() }
        let warning = #"Node name "my_node" will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes."#
        #expect(logContains(underscore, warning), "-node my_node\(tail(underscore))")
        // Warnings come out together, and a dev agent is not in bootstrap mode.
        #expect(!underscore.log.contains("bootstrap = true: do not enable unless necessary"), "\(tail(underscore))")
    }

    // MARK: 9. EnableTagOverride: a re-registration's tags win

    @Test func reRegistrationWithTagOverrideUpdatesTheCatalog() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        func register(_ tags: String) throws {
            let body = #"{"ID":"pg/pg2","Name":"pg","Tags":\#(tags),"Port":5432,"EnableTagOverride":true}"#
            let r = try HTTP.request("PUT", "/v1/agent/service/register", port: agent.httpPort, body: Array(body.utf8))
            try #require(r.status == 200, "register: \(r.status) \(r.bodyText)")
        }
        func catalogTags() -> [String]? {
            guard let r = try? HTTP.request("GET", "/v1/catalog/service/pg", port: agent.httpPort, timeoutMs: 5000),
                  let list = r.json as? [[String: Any]], let first = list.first else { return nil }
            return first["ServiceTags"] as? [String]
        }
        func agentTags() -> [String]? {
            guard let r = try? HTTP.request("GET", "/v1/agent/services", port: agent.httpPort, timeoutMs: 5000),
                  let services = r.json as? [String: Any], let pg = services["pg/pg2"] as? [String: Any] else { return nil }
            return pg["Tags"] as? [String]
        }
        try register(#"["replica"]"#)
        let initial = pollValue(10, catalogTags, until: { $0 == ["replica"] })
        try #require(initial == ["replica"], "catalog tags after the first registration: \(String(describing: initial))")

        try register(#"["master","primary"]"#)
        #expect(agentTags() == ["master", "primary"], "agent tags: \(String(describing: agentTags()))")
        let updated = pollValue(5, catalogTags, until: { $0 == ["master", "primary"] })
        #expect(updated == ["master", "primary"], "catalog tags after re-registering: \(String(describing: updated))\(tail(agent))")
        // The sync must not have copied the catalog's old tags back over the agent's.
        #expect(agentTags() == ["master", "primary"], "agent tags after the sync: \(String(describing: agentTags()))")

        let dig = pollValue(10, {
            (try? runTool(["dig", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "+time=2", "+tries=1",
                           "master.pg.service.consul", "+short"])) ?? ""
        }, until: { $0 == "127.0.0.1\n" })
        #expect(dig == "127.0.0.1\n", "master.pg.service.consul: \(dig.debugDescription)")
    }
}
