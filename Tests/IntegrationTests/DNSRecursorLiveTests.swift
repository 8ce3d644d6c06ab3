import Foundation
import Glibc
import Testing

/// A real dnsmasq on a loopback port, in the foreground (`-k`: it never daemonizes, so the test
/// owns the process), logging to a file (never a pipe a sibling child could inherit). `stop()` and
/// deinit SIGKILL and reap it.
///
/// Started with posix_spawn, not Foundation.Process: Foundation (Linux) notices a child's exit by
/// the close of a socket the child inherits, then reaps it with a *blocking* waitpid on its one
/// manager thread. dnsmasq closes every inherited descriptor at start-up, so that waitpid ran
/// while dnsmasq was alive and blocked the thread for good — no later child (dig) was ever reaped
/// and `waitUntilExit()` hung. That was the hang of the earlier attempt at this test.
final class Dnsmasq {
    static let binary = "/usr/sbin/dnsmasq"
    private(set) var pid: pid_t = 0
    let port: Int
    private let log: OutputFile

    init(arguments extra: [String]) throws {
        port = try freePort()
        log = try OutputFile()
        var args = [Dnsmasq.binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--no-poll", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=",
                    "--log-facility=-", "--log-queries"]
        // As root dnsmasq would switch to user "nobody"/"dnsmasq"; stay as we are instead.
        if getuid() == 0 { args += ["--user=root", "--group=root"] }
        args += extra
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log.handle.fileDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, log.handle.fileDescriptor, 2)
        let argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let status = posix_spawn(&pid, Dnsmasq.binary, &actions, nil, argv, environ)
        guard status == 0 else { throw DnsmasqError.spawn(status) }
        do { try waitUntilAnswering() } catch { stop(); throw error }
    }

    deinit { stop() }

    var output: String { String(decoding: log.contents(), as: UTF8.self) }

    var isRunning: Bool {
        guard pid > 0 else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { pid = 0; return false }
        return true
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        pid = 0
    }

    /// Bounded wait for the first answer (dig with a 1 s timeout, 5 s overall).
    private func waitUntilAnswering() throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            guard isRunning else { throw DnsmasqError.exited(output) }
            let out = try runTool(["dig", "@127.0.0.1", "-p", String(port), "+time=1", "+tries=1", "localhost.invalid"],
                                  timeoutSeconds: 3)
            if out.contains("status:") { return }
            usleep(20_000)
        }
        throw DnsmasqError.neverAnswered(output)
    }
}

enum DnsmasqError: Error {
    case spawn(Int32)
    case exited(String)
    case neverAnswered(String)
}

/// `-recursor` pointing at a real local DNS server: names outside the Consul domain are answered
/// through our agent (UDP and TCP), and with the recursor gone the agent answers SERVFAIL.
@Suite(.serialized) struct DNSRecursorLiveTests {
    private func dig(_ agent: AgentProcess, _ args: [String]) throws -> String {
        try runTool(["dig", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), "+time=5", "+tries=1"] + args,
                    timeoutSeconds: 15)
    }

    /// Forwarded A lookup through dnsmasq, RA set; Consul names still answered locally; SERVFAIL
    /// once the recursor is down.
    @Test(.enabled(if: toolTestEnabled(FileManager.default.isExecutableFile(atPath: Dnsmasq.binary))), .timeLimit(.minutes(1)))
    func forwardsToDnsmasqThenServfailsWhenItIsDown() throws {
        let dnsmasq = try Dnsmasq(arguments: ["--address=/example.test/192.0.2.7"])
        defer { dnsmasq.stop() }
        let agent = try AgentProcess(extraArgs: ["-recursor", "127.0.0.1:\(dnsmasq.port)"])
        defer { agent.stop() }

        #expect(try dig(agent, ["www.example.test", "A", "+short"]) == "192.0.2.7\n")
        #expect(try dig(agent, ["www.example.test", "A", "+short", "+tcp"]) == "192.0.2.7\n")
        let full = try dig(agent, ["www.example.test", "A"])
        #expect(full.contains("status: NOERROR"))
        #expect(full.contains(" ra"))
        #expect(full.contains("www.example.test.\t0\tIN\tA\t192.0.2.7"))
        #expect(dnsmasq.output.contains("query[A] www.example.test from 127.0.0.1"))
        // The agent's own zone is not forwarded: our NXDOMAIN, with our SOA.
        let own = try dig(agent, ["nope.service.consul"])
        #expect(own.contains("status: NXDOMAIN") && own.contains("ns.consul. hostmaster.consul."))

        dnsmasq.stop()
        let down = try dig(agent, ["www.example.test", "A"])
        #expect(down.contains("status: SERVFAIL"), "\(down)")
        #expect(down.contains(" ra"))
    }
}
