import Foundation
import Glibc
import Testing

/// A unix datagram socket standing in for systemd's notify socket.
private final class NotifySocket {
    let path: String
    private let fd: Int32
    private(set) var messages: [String] = []

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (i, byte) in path.utf8.enumerated() { sunPath[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit { close(fd) }

    /// Everything received so far, one datagram per entry.
    func drain() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            messages.append(String(decoding: buffer[..<n], as: UTF8.self))
        }
        return messages
    }

    /// Waits (bounded) for a datagram after the first `after` that contains `assignment`.
    func wait(for assignment: String, after: Int = 0, seconds: Double = 20) -> String? {
        let all = pollValue(seconds, every: 20_000, { self.drain() }) { received in
            received.dropFirst(after).contains { $0.split(separator: "\n").contains(Substring(assignment)) }
        }
        return all.dropFirst(after).first { $0.split(separator: "\n").contains(Substring(assignment)) }
    }
}

private final class TempDir {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("svc-\(UUID().uuidString.prefix(8))").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit {
        do { try FileManager.default.removeItem(atPath: path) } catch { print("cleanup \(path): \(error)") }
    }
    func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name)) }
}

/// The body of a GET as text ("" when the request fails: callers poll until it holds what they want).
private func bodyText(_ path: String, port: Int) -> String {
    do { return String(decoding: try HTTP.get(path, port: port).body, as: UTF8.self) } catch { return "" }
}

/// The agent as systemd runs it (docs/packaging.md): the notify protocol, reload, PID file,
/// exit codes, and the log outputs an operator configures.
@Suite struct ServiceManagerLiveTests {
    /// READY=1 once serving; a SIGHUP is RELOADING=1 (with MONOTONIC_USEC) … READY=1 and loads a
    /// new service file in the same process; SIGTERM is STOPPING=1 and exit 0 on a server, which
    /// does not leave by default.
    @Test func notifyReloadAndTerminate() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/conf", withIntermediateDirectories: true)
        try dir.write("conf/base.hcl", "log_level = \"info\"\n")
        let notify = try NotifySocket(directory: dir.path)
        let agent = try AgentProcess(extraArgs: ["-config-dir", dir.path + "/conf"], environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try #require(notify.wait(for: "READY=1"))
        #expect(ready.contains("STATUS="))
        let status = pollValue(15, { notify.drain().last ?? "" }) { $0.contains("STATUS=Leader: ") }
        #expect(status.contains("STATUS=Leader: "), "\(notify.messages)")

        try dir.write("conf/web.hcl", "service {\n  name = \"web\"\n  port = 80\n}\n")
        let before = notify.drain().count
        agent.signal(SIGHUP)
        let reloading = try #require(notify.wait(for: "RELOADING=1", after: before))
        #expect(reloading.contains("MONOTONIC_USEC="))
        #expect(notify.wait(for: "READY=1", after: before + 1) != nil)
        let services = pollValue(10, { bodyText("/v1/agent/services", port: agent.httpPort) }) {
            $0.contains("\"web\"")
        }
        #expect(services.contains("\"web\""))
        #expect(agent.process.isRunning)

        let beforeStop = notify.drain().count
        agent.signal(SIGTERM)
        #expect(agent.waitForExit(seconds: 20) == 0)
        #expect(notify.wait(for: "STOPPING=1", after: beforeStop, seconds: 2) != nil)
    }

    /// A client leaves on SIGTERM by default and also exits 0; its pid_file holds its PID while
    /// it runs and is gone after.
    @Test func clientTerminatesCleanlyAndKeepsAPIDFile() throws {
        let dir = try TempDir()
        let pidFile = dir.path + "/consul.pid"
        let agent = try AgentProcess(extraArgs: ["-data-dir", dir.path + "/data", "-bind", "127.0.0.1", "-pid-file", pidFile], dev: false)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        #expect(text == String(agent.process.processIdentifier))
        agent.signal(SIGTERM)
        #expect(agent.waitForExit(seconds: 20) == 0)
        #expect(agent.log.contains("Gracefully shutting down agent"))
        #expect(!FileManager.default.fileExists(atPath: pidFile))
    }

    /// `-log-json`: every log line is one JSON object with hclog's keys; fields ride along.
    @Test func jsonLogLines() throws {
        let agent = try AgentProcess(extraArgs: ["-log-json"])
        _ = try HTTP.put("/v1/kv/json-log", port: agent.httpPort, body: "x")
        agent.signal(SIGTERM)
        #expect(agent.waitForExit(seconds: 20) == 0)
        let lines = agent.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count > 5)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            for key in ["@level", "@message", "@module", "@timestamp"] { #expect(object[key] is String, "\(key) in \(line)") }
            #expect(["trace", "debug", "info", "warn", "error"].contains(object["@level"] as? String ?? ""))
            let stamp = object["@timestamp"] as? String ?? ""
            #expect(stamp.hasSuffix("Z") && stamp.count == "2026-12-07T22:37:48.293885Z".count, "\(stamp)")
        }
        #expect(!agent.log.contains("[INFO]"))
        #expect(lines.contains { $0.contains("\"@message\":\"Exit code\"") && $0.contains("\"code\":\"0\"") })
    }

    /// `log_file` with `log_rotate_bytes` and `log_rotate_max_files`: the active file plus at most
    /// that many rotated `consul-<ns>.log` files, every line a log line; the log level follows a
    /// reload (debug lines appear after `log_level` changes and SIGHUP).
    @Test func logFileRotatesAndLevelReloads() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/conf", withIntermediateDirectories: true)
        try dir.write("conf/log.hcl", """
            log_level = "info"
            log_file = "\(dir.path)/logs/"
            log_rotate_bytes = 1500
            log_rotate_max_files = 2
            """)
        let agent = try AgentProcess(extraArgs: ["-config-dir", dir.path + "/conf"])
        try dir.write("conf/log.hcl", """
            log_level = "debug"
            log_file = "\(dir.path)/logs/"
            log_rotate_bytes = 1500
            log_rotate_max_files = 2
            """)
        #expect(pollValue(10, { agent.log }) { $0.contains("Consul agent running!") }.contains("Consul agent running!"))
        agent.signal(SIGHUP)
        #expect(pollValue(10, { agent.log }) { $0.contains("Log level updated") }.contains("Log level updated"))
        // Each user event is a debug line ("fired user event"), now written: they fill the files.
        let logs = dir.path + "/logs"
        let names = pollValue(20, { () -> [String] in
            do { _ = try HTTP.put("/v1/event/fire/rotate", port: agent.httpPort) } catch { return [] }
            do { return try FileManager.default.contentsOfDirectory(atPath: logs) } catch { return [] }
        }) { names in names.filter { $0.hasPrefix("consul-") }.count >= 2 }
        let rotated = names.filter { $0.hasPrefix("consul-") && $0.hasSuffix(".log") }
        #expect(names.contains("consul.log"))
        #expect(rotated.count == 2, "\(names)")
        for name in rotated + ["consul.log"] {
            let text = try String(contentsOfFile: logs + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") { #expect(line.contains("Z [") && line.contains("agent"), "\(name): \(line)") }
        }
        #expect(agent.log.contains("[DEBUG] agent: agent: fired user event"))
        for name in rotated {
            let size = try FileManager.default.attributesOfItem(atPath: logs + "/" + name)[.size] as? Int ?? 0
            #expect(size >= 1500)
        }
    }
}
