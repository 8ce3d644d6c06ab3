import Foundation
import Glibc
import Testing

/// `consul debug`, `/v1/agent/host`, `/v1/agent/version`, and the log monitor's bound on a reader
/// that stops reading (docs/metrics.md).
@Suite struct DebugLiveTests {
    private func rssKB(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// A bundle with Consul's layout whose every file parses: index, agent, members, host, a
    /// stream of metrics objects, and the trace-level log.
    @Test func debugBundleParses() throws {
        let agent = try AgentProcess()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("debug-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/bundle"
        // Something to log while it captures (a user event is a debug line).
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { _ = try? HTTP.put("/v1/event/fire/debugged", port: agent.httpPort) }
        let result = try runCLI(["debug", "-http-addr=\(agent.httpAddress)", "-duration", "10s", "-interval", "5s", "-output", output],
                                timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("==> Starting debugger and capturing static information..."))
        #expect(result.stdout.contains("Saved debug archive: \(output).tar.gz"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let untar = try runTar(["-xzf", output + ".tar.gz", "-C", dir])
        #expect(untar == 0)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: output))
        #expect(files == ["index.json", "agent.json", "members.json", "host.json", "metrics.json", "consul.log"], "\(files)")
        func json(_ name: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/" + name))) }
        let index = try #require(try json("index.json") as? [String: Any])
        #expect(index["Version"] as? Int == 1 && index["AgentVersion"] as? String == "1.20.0" && index["Duration"] as? String == "10s")
        #expect((try json("agent.json") as? [String: Any])?["Config"] != nil)
        #expect((try json("members.json") as? [Any])?.isEmpty == false)
        #expect(((try json("host.json") as? [String: Any])?["Memory"] as? [String: Any])?["total"] as? Int ?? 0 > 0)
        // metrics.json: one JSON object per capture, one after another (as Consul's stream).
        let metricsText = try String(contentsOfFile: output + "/metrics.json", encoding: .utf8)
        let objects = metricsText.components(separatedBy: "\n}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(objects.count >= 2, "\(objects.count) metrics captures")
        for object in objects {
            let parsed = try JSONSerialization.jsonObject(with: Data((object + "\n}").utf8)) as? [String: Any]
            #expect(parsed?["Samples"] != nil)
        }
        let log = try String(contentsOfFile: output + "/consul.log", encoding: .utf8)
        #expect(log.contains("fired user event") && log.contains("debugged"), "\(log.prefix(500))")
        // Bad input: Consul's messages, exit 1.
        let short = try runCLI(["debug", "-http-addr=\(agent.httpAddress)", "-duration", "1s", "-output", dir + "/x"])
        #expect(short.status == 1 && short.stderr.contains("Capture validation failed: duration must be longer than 10s"))
        let unknown = try runCLI(["debug", "-http-addr=\(agent.httpAddress)", "-capture", "bogus", "-output", dir + "/y"])
        #expect(unknown.status == 1 && unknown.stderr.contains("target not found: bogus"))
    }

    private func runTar(_ args: [String]) throws -> Int32 {
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = args
        try tar.run()
        tar.waitUntilExit()
        return tar.terminationStatus
    }

    @Test func hostAndVersion() throws {
        let agent = try AgentProcess()
        let host = try #require(try HTTP.get("/v1/agent/host", port: agent.httpPort).json as? [String: Any])
        for key in ["Memory", "CPU", "Host", "Disk", "CollectionTime", "Errors"] { #expect(host.keys.contains(key), "\(key)") }
        let hostInfo = try #require(host["Host"] as? [String: Any])
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        #expect(hostInfo["hostname"] as? String == String(cString: name))
        #expect((host["CPU"] as? [Any])?.count == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let version = try #require(try HTTP.get("/v1/agent/version", port: agent.httpPort).json as? [String: Any])
        #expect(version["HumanVersion"] as? String == "1.20.0")
    }

    /// A monitor client that stops reading: the agent keeps at most about a megabyte for it,
    /// drops the rest with a count, and its RSS stays bounded while ~17 MB of log lines go by.
    @Test func slowMonitorReaderIsBounded() throws {
        let agent = try AgentProcess()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(agent.httpPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET /v1/agent/monitor?loglevel=debug HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(300_000)
        let before = rssKB(agent.process.processIdentifier)
        // Each user event is a debug line carrying its 220-byte name (events are limited to 512
        // bytes): 60,000 of them are about 17 MB. One
        // keep-alive connection (thousands of short ones would fill the ephemeral ports with
        // TIME_WAIT sockets other tests need).
        let name = String(repeating: "n", count: 220)
        let writer = try RawConnection(port: agent.httpPort)
        for _ in 0..<60_000 {
            try writer.send("PUT /v1/event/fire/\(name) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            #expect(try writer.readResponse().status == 200)
        }
        let after = rssKB(agent.process.processIdentifier)
        #expect(after - before < 8_000, "RSS grew from \(before) kB to \(after) kB")
        // Now read: the lines that fit, then the count of those dropped.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // The notice goes out with the next line once the backlog has drained.
        let deadline = Date().addingTimeInterval(20)
        while received.count < 64 << 20 && Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received += buffer[0..<n] }
            if String(decoding: received.suffix(200_000), as: UTF8.self).contains("log lines dropped") { break }
            if n <= 0 || n < buffer.count {
                try writer.send("PUT /v1/event/fire/after HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                _ = try writer.readResponse()
            }
        }
        #expect(String(decoding: received, as: UTF8.self).contains("log lines dropped: the reader was too slow"))
    }
}
