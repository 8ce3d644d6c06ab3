import Foundation
import Glibc
import Testing

/// `consul watch` and agent-configured `watches` against a real agent: handlers get the data on
/// stdin and `CONSUL_INDEX`, run on the first result and on changes; failures exit 1; a bad
/// watch in the config refuses start-up.
@Suite(.serialized) struct WatchLiveTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    func lines(_ path: String) -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Proves a key watch runs its handler with `null` first, then each new value, with the index.
    @Test func cliKeyWatchRunsHandlerOnChange() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let out = tempPath("watch-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: try consulBinary())
        watch.arguments = ["watch", "-http-addr=\(agent.httpAddress)", "-type", "key", "-key", "cfg/x",
                           "cat >> \(out); echo \"index=$CONSUL_INDEX\" >> \(out)"]
        watch.standardOutput = FileHandle.nullDevice
        watch.standardError = FileHandle.nullDevice
        try watch.run()
        defer { kill(watch.processIdentifier, SIGKILL); watch.waitUntilExit() }

        #expect(eventually(seconds: 10) { lines(out).count >= 2 }, "\(lines(out))")
        #expect(lines(out).prefix(2) == ["null", "index=1"])
        #expect(try HTTP.put("/v1/kv/cfg/x", port: agent.httpPort, body: "v1").status == 200)
        #expect(eventually(seconds: 10) { lines(out).count >= 4 }, "\(lines(out))")
        let pair = try #require(try JSONSerialization.jsonObject(with: Data(lines(out)[2].utf8)) as? [String: Any])
        #expect(pair["Key"] as? String == "cfg/x" && pair["Value"] as? String == "djE=")
        let modify = pair["ModifyIndex"] as? Int ?? -1
        #expect(lines(out)[3] == "index=\(modify)")
        // Writes elsewhere move the KV index but not this key's data: no handler run.
        #expect(try HTTP.put("/v1/kv/other", port: agent.httpPort, body: "z").status == 200)
        #expect(try HTTP.put("/v1/kv/cfg/x", port: agent.httpPort, body: "v2").status == 200)
        #expect(eventually(seconds: 10) { lines(out).count >= 6 }, "\(lines(out))")
        #expect(lines(out)[4].contains("\"djI=\""))
        #expect(lines(out).count == 6)
    }

    /// Proves the one-shot form (no handler: 4-space JSON, exit 0), handler failure (exit 1) and
    /// parameter errors (exit 1 with Consul's texts).
    @Test func cliOneShotFailuresAndErrors() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        #expect(try HTTP.put("/v1/kv/one", port: agent.httpPort, body: "hi").status == 200)
        let once = try runCLI(["watch", "-http-addr=\(agent.httpAddress)", "-type", "key", "-key", "one"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stdout.hasPrefix("{\n    \"") && once.stdout.contains("\"Value\": \"aGk=\""), "\(once.stdout)")
        let events = try runCLI(["watch", "-http-addr=\(agent.httpAddress)", "-type", "event", "-name", "none"])
        #expect(events.status == 0 && events.stdout == "[]\n", "\(events.stdout)")

        let failing = try runCLI(["watch", "-http-addr=\(agent.httpAddress)", "-type", "key", "-key", "one", "exit 3"])
        #expect(failing.status == 1 && failing.stderr.contains("Error executing handler: exit status 3"), "\(failing.status) \(failing.stderr)")
        let noType = try runCLI(["watch", "-http-addr=\(agent.httpAddress)"])
        #expect(noType.status == 1 && noType.stderr.contains("Watch type must be specified"))
        let noKey = try runCLI(["watch", "-http-addr=\(agent.httpAddress)", "-type", "key"])
        #expect(noKey.status == 1 && noKey.stderr.contains("Must specify a single key to watch"))
        let bogus = try runCLI(["watch", "-http-addr=\(agent.httpAddress)", "-type", "bogus"])
        #expect(bogus.status == 1 && bogus.stderr.contains("Unsupported watch type: bogus"))
        let unreachable = try runCLI(["watch", "-http-addr=127.0.0.1:1", "-type", "nodes"])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("Error querying Consul agent"))
    }

    /// Proves an agent-configured key watch runs its script handler (args) with the data on stdin,
    /// an event watch its shell handler, and a bad watch type refuses start-up naming the key.
    @Test func agentConfiguredWatches() throws {
        let keyOut = tempPath("agent-watch-key"), eventOut = tempPath("agent-watch-event")
        let config = tempPath("watches") + ".json"
        defer { for p in [keyOut, eventOut, config] { try? FileManager.default.removeItem(atPath: p) } }
        let json = """
        {"watches": [
          {"type": "key", "key": "w/k", "args": ["/bin/sh", "-c", "cat >> \(keyOut); echo index=$CONSUL_INDEX >> \(keyOut)"]},
          {"type": "event", "name": "hook", "handler": "cat >> \(eventOut)"}
        ]}
        """
        try Data(json.utf8).write(to: URL(fileURLWithPath: config))
        let agent = try AgentProcess(extraArgs: ["-config-file", config])
        defer { agent.stop() }
        #expect(eventually(seconds: 10) { lines(keyOut).count >= 2 }, "\(agent.log)")
        #expect(try HTTP.put("/v1/kv/w/k", port: agent.httpPort, body: "agent").status == 200)
        #expect(eventually(seconds: 10) { lines(keyOut).contains { $0.contains("\"YWdlbnQ=\"") } }, "\(lines(keyOut))\n\(agent.log)")
        #expect(try HTTP.put("/v1/event/fire/hook", port: agent.httpPort, body: "p").status == 200)
        #expect(eventually(seconds: 10) { lines(eventOut).contains { $0.contains("\"Name\":\"hook\"") && $0.contains("\"Payload\":\"cA==\"") } },
                "\(lines(eventOut))\n\(agent.log)")

        let bad = tempPath("bad-watches") + ".json"
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try Data(#"{"watches": [{"type": "bogus", "args": ["true"]}]}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try runCLI(["agent", "-dev", "-config-file", bad])
        #expect(refused.status == 1 && refused.stderr.contains("watches[0]: Unsupported watch type: bogus"), "\(refused.stderr)")
    }
}
