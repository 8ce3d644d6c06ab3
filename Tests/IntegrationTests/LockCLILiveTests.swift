import Foundation
import Glibc
import Testing

/// `consul lock` against a real agent with real child processes: the child runs holding the
/// lock, contenders wait or time out, a lost lock kills the child's whole process group, and
/// everything the lock created is cleaned up.
@Suite struct LockCLILiveTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(name)-\(UUID().uuidString)").path
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    func get(_ agent: AgentProcess, _ target: String) -> (Int, String) {
        guard let r = try? HTTP.get(target, port: agent.httpPort) else { return (0, "") }
        // -dev pretty-prints; compare without whitespace.
        return (r.status, String(decoding: r.body.filter { $0 != 32 && $0 != 10 }, as: UTF8.self))
    }

    func eventually(_ seconds: Double, _ probe: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if probe() { return true }
            usleep(50_000)
        }
        return probe()
    }

    /// A `consul lock` running in the background, output to a file.
    final class BackgroundLock {
        let process = Process()
        let output: OutputFile
        init(_ args: [String]) throws {
            output = try OutputFile()
            process.executableURL = URL(fileURLWithPath: try consulBinary())
            process.arguments = ["lock"] + args
            process.standardOutput = output.handle
            process.standardError = output.handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        func wait(seconds: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit(); return nil }
            return process.terminationStatus
        }
        var text: String { String(decoding: output.contents(), as: UTF8.self) }
    }

    /// Proves the child runs with CONSUL_LOCK_HELD while the key is locked, and that afterwards
    /// the lock key and the session are gone.
    @Test func childRunsHoldingTheLock() throws {
        let agent = try AgentProcess()
        let out = tempPath("held")
        defer { unlink(out) }
        // The child records the env var and what the agent says about the lock key meanwhile.
        let script = "echo $CONSUL_LOCK_HELD > \(out); curl -s http://\(agent.httpAddress)/v1/kv/svc/leader/.lock >> \(out)"
        let result = try runCLI(["lock", "-http-addr", agent.httpAddress, "svc/leader", script])
        #expect(result.status == 0, "\(result.stderr)")
        let seen = text(out).filter { !$0.isWhitespace || $0 == "\n" }.replacingOccurrences(of: "\n", with: "")
        #expect(seen.hasPrefix("true"))
        #expect(seen.contains("\"Session\":"), "the key was locked by a session while the child ran: \(seen)")
        #expect(seen.contains("\"Flags\":3304740253564472344"), "the Go client's lock flag value: \(seen)")
        #expect(get(agent, "/v1/kv/svc/leader/.lock").0 == 404)
        #expect(get(agent, "/v1/session/list").1 == "[]")
    }

    /// Proves a second contender waits while the lock is held (and gives up with exit 1 at its
    /// -timeout), and gets the lock once the holder's child has exited.
    @Test func contendersWaitAndTimeOut() throws {
        let agent = try AgentProcess()
        let holder = try BackgroundLock(["-http-addr", agent.httpAddress, "jobs", "sleep 3"])
        #expect(eventually(10) { get(agent, "/v1/kv/jobs/.lock").1.contains("\"Session\"") })
        let late = try runCLI(["lock", "-http-addr", agent.httpAddress, "-timeout", "1s", "jobs", "echo never"])
        #expect(late.status == 1)
        #expect(late.stderr.contains("Shutdown triggered or timeout during lock acquisition"), "\(late.stderr)")
        #expect(!late.stdout.contains("never"))
        let waiter = try runCLI(["lock", "-http-addr", agent.httpAddress, "jobs", "echo second"])
        #expect(waiter.status == 0)
        #expect(waiter.stdout == "second\n")
        #expect(holder.wait(seconds: 10) == 0)
    }

    /// Proves that when the lock is lost (its session destroyed) the child's process group is
    /// killed — a grandchild too — and `consul lock` reports it.
    @Test func lostLockKillsTheChild() throws {
        let agent = try AgentProcess()
        let pidFile = tempPath("pid")
        defer { unlink(pidFile) }
        let holder = try BackgroundLock(["-http-addr", agent.httpAddress, "lost", "sleep 60 & echo $! > \(pidFile); wait"])
        var session = ""
        #expect(eventually(10) {
            let body = get(agent, "/v1/kv/lost/.lock").1
            guard let range = body.range(of: #""Session":""#) else { return false }
            session = String(body[range.upperBound...].prefix(36))
            return !text(pidFile).isEmpty
        })
        let grandchild = Int32(text(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(grandchild > 0)
        _ = try HTTP.put("/v1/session/destroy/\(session)", port: agent.httpPort)
        #expect(holder.wait(seconds: 15) == 0)
        #expect(holder.text.contains("Lock lost, killing child"), "\(holder.text)")
        #expect(eventually(5) { kill(grandchild, 0) != 0 }, "the grandchild in the child's process group was killed")
    }

    /// Proves `-child-exit-code` turns a failing child into exit 2, and that without it the exit is 0.
    @Test func childExitCode() throws {
        let agent = try AgentProcess()
        #expect(try runCLI(["lock", "-http-addr", agent.httpAddress, "-child-exit-code", "x", "exit 3"]).status == 2)
        #expect(try runCLI(["lock", "-http-addr", agent.httpAddress, "x", "exit 3"]).status == 0)
        #expect(try runCLI(["lock", "-http-addr", agent.httpAddress, "-shell=false", "x", "/bin/echo", "argv"]).stdout == "argv\n")
        let usage = try runCLI(["lock", "-http-addr", agent.httpAddress, "only-prefix"])
        #expect(usage.status == 1)
        #expect(usage.stderr.contains("Key prefix and child command must be specified"))
    }

    /// Proves `-n 2` lets at most two of three contenders run at once, and all three run.
    @Test func semaphoreLimitsHolders() throws {
        let agent = try AgentProcess()
        let log = tempPath("sem")
        defer { unlink(log) }
        let child = "echo start >> \(log); sleep 1.5; echo end >> \(log)"
        let lockers = try (0..<3).map { _ in try BackgroundLock(["-http-addr", agent.httpAddress, "-n", "2", "pool", child]) }
        for l in lockers { #expect(l.wait(seconds: 30) == 0, "\(l.text)") }
        var running = 0, peak = 0
        for line in text(log).split(separator: "\n") {
            running += line == "start" ? 1 : -1
            peak = max(peak, running)
        }
        #expect(text(log).split(separator: "\n").filter { $0 == "start" }.count == 3)
        #expect(peak == 2, "\(text(log))")
        // Nothing is left holding the semaphore.
        #expect(eventually(5) { !get(agent, "/v1/kv/pool?recurse").1.contains("\"Session\"") })
    }
}
