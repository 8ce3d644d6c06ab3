import Foundation
import Glibc
import HTTP1
import Testing

/// `consul exec` (remote execution over `_rexec/` KV and a user event, off unless
/// `disable_remote_exec = false`) and `consul monitor` (the agent's log streamed), run against
/// the real binary.
@Suite struct ExecMonitorLiveTests {
    func nodeName(_ agent: AgentProcess) throws -> String {
        let me = try HTTP.get("/v1/agent/self", port: agent.httpPort).json as? [String: Any]
        return try #require((me?["Config"] as? [String: Any])?["NodeName"] as? String)
    }

    func configDir(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/exec.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// Enabled: the job runs on the agent, its output and exit code come back, a non-zero exit
    /// makes the CLI exit 2, and the job's KV prefix is gone afterwards.
    @Test func execRunsWhenEnabled() throws {
        let agent = try AgentProcess(extraArgs: ["-config-dir", try configDir(#"{"disable_remote_exec": false}"#)])
        defer { agent.stop() }
        let node = try nodeName(agent)
        let result = try runCLI(["exec", "-http-addr=\(agent.httpAddress)", "-wait=3s", "echo hello from exec; echo second line; exit 3"])
        #expect(result.stdout.contains("    \(node): hello from exec\n    \(node): second line\n"), "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("==> \(node): finished with exit code 3"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("1 / 1 node(s) completed / acknowledged\n"), "\(result.stdout)")
        #expect(result.status == 2)
        let ok = try runCLI(["exec", "-http-addr=\(agent.httpAddress)", "-wait=3s", "true"])
        #expect(ok.status == 0 && ok.stdout.contains("==> \(node): finished with exit code 0"), "\(ok.stdout)\(ok.stderr)")
        #expect(try HTTP.get("/v1/kv/_rexec?recurse", port: agent.httpPort).status == 404)
    }

    /// Disabled (the default): the agent logs that it ignores the job and nothing acknowledges it.
    @Test func execIsIgnoredByDefault() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let result = try runCLI(["exec", "-http-addr=\(agent.httpAddress)", "-wait=1s", "touch /tmp/should-not-exist"])
        #expect(result.stdout.contains("0 / 0 node(s) completed / acknowledged"), "\(result.stdout)\(result.stderr)")
        let deadline = Date().addingTimeInterval(10)
        while !agent.log.contains("ignoring remote exec event, disabled.") && Date() < deadline { usleep(50_000) }
        #expect(agent.log.contains("ignoring remote exec event, disabled."))
        let usage = try runCLI(["exec", "-http-addr=\(agent.httpAddress)"])
        #expect(usage.status == 1 && usage.stderr.contains("Must specify a command to execute"))
    }

    /// `consul monitor -log-level=debug` prints the agent's log lines as they are written, even
    /// below the agent's own level; an unknown level is refused.
    @Test func monitorStreamsTheLog() throws {
        let agent = try AgentProcess(extraArgs: ["-log-level=info"])
        defer { agent.stop() }
        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: try consulBinary())
        monitor.arguments = ["monitor", "-http-addr=\(agent.httpAddress)", "-log-level=debug"]
        let out = try OutputFile()
        monitor.standardOutput = out.handle
        monitor.standardError = out.handle
        try monitor.run()
        defer { kill(monitor.processIdentifier, SIGKILL); monitor.waitUntilExit() }
        // Each reload logs a line; keep reloading until the monitor has shown one.
        let deadline = Date().addingTimeInterval(15)
        var text = ""
        while !text.contains("[INFO]  agent: Reloading configuration...") && Date() < deadline {
            _ = try? HTTP.request("PUT", "/v1/agent/reload", port: agent.httpPort)
            usleep(200_000)
            text = String(decoding: out.contents(), as: UTF8.self)
        }
        #expect(text.contains("[INFO]  agent: Reloading configuration..."), "\(text)")
        // A debug line, below the agent's own INFO level, still reaches a debug monitor.
        let debugDeadline = Date().addingTimeInterval(15)
        while !text.contains("agent: fired user event: name=monitored") && Date() < debugDeadline {
            _ = try? HTTP.request("PUT", "/v1/event/fire/monitored", port: agent.httpPort)
            usleep(200_000)
            text = String(decoding: out.contents(), as: UTF8.self)
        }
        #expect(text.contains("agent: fired user event: name=monitored"), "\(text)")
        #expect(!agent.log.contains("fired user event"))
        let bad = try HTTP.request("GET", "/v1/agent/monitor?loglevel=loud", port: agent.httpPort)
        #expect(bad.status == 400 && bad.bodyText == "Unknown log level: loud")
    }
}
