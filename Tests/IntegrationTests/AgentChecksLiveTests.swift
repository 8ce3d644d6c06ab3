import Foundation
import Glibc
import Testing

/// Services registered with the local agent, with every check kind against real local
/// targets, observed through the health API (including blocking queries).
@Suite struct AgentChecksLiveTests {
    private func put(_ agent: AgentProcess, _ path: String, _ json: String) throws -> HTTPClientResponseAlias {
        try HTTP.request("PUT", path, port: agent.httpPort, body: Array(json.utf8))
    }

    /// Polls `health/service` until the instance has `status` (bounded wait on the event).
    private func waitForStatus(_ agent: AgentProcess, service: String, checkID: String, status: String) throws -> Bool {
        for _ in 0..<300 {
            let rows = (try HTTP.get("/v1/health/service/\(service)", port: agent.httpPort).json as? [[String: Any]]) ?? []
            let checks = rows.flatMap { ($0["Checks"] as? [[String: Any]]) ?? [] }
            if checks.contains(where: { $0["CheckID"] as? String == checkID && $0["Status"] as? String == status }) { return true }
            usleep(20_000)
        }
        return false
    }

    /// A TTL check starts critical, turns passing on a heartbeat (waking a blocked
    /// `?passing` query), and falls back to critical when the TTL runs out.
    @Test func ttlCheckTransitions() throws {
        let agent = try AgentProcess()
        #expect(try put(agent, "/v1/agent/service/register", #"{"Name":"ttl-svc","Port":9000,"Check":{"TTL":"2s"}}"#).status == 200)
        #expect(try waitForStatus(agent, service: "ttl-svc", checkID: "service:ttl-svc", status: "critical"))
        let before = try HTTP.get("/v1/health/service/ttl-svc?passing", port: agent.httpPort)
        #expect((before.json as? [Any])?.isEmpty == true)
        let index = try #require(before.index)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var woke: [[String: Any]]?
        Thread.detachNewThread {
            woke = (try? HTTP.get("/v1/health/service/ttl-svc?passing&index=\(index)&wait=30s", port: agent.httpPort))?.json as? [[String: Any]]
            done.signal()
        }
        usleep(100_000)
        #expect(try put(agent, "/v1/agent/check/pass/service:ttl-svc?note=alive", "").status == 200)
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(woke?.count == 1)
        #expect(try waitForStatus(agent, service: "ttl-svc", checkID: "service:ttl-svc", status: "critical"))
        let unknown = try put(agent, "/v1/agent/check/pass/nope", "")
        #expect(unknown.status == 500)
        #expect(unknown.bodyText == "CheckID \"nope\" does not have associated TTL")
    }

    /// An HTTP check follows a real server: 200 → passing, 429 → warning, 500 → critical.
    @Test func httpCheckFollowsServer() throws {
        let target = try PythonHTTPServer()
        defer { target.stop() }
        let agent = try AgentProcess()
        let body = #"{"Name":"web","Port":\#(target.port),"Check":{"HTTP":"http://127.0.0.1:\#(target.port)/health","Interval":"1s","Timeout":"1s"}}"#
        #expect(try put(agent, "/v1/agent/service/register", body).status == 200)
        target.setStatus(200)
        #expect(try waitForStatus(agent, service: "web", checkID: "service:web", status: "passing"))
        target.setStatus(429)
        #expect(try waitForStatus(agent, service: "web", checkID: "service:web", status: "warning"))
        target.setStatus(500)
        #expect(try waitForStatus(agent, service: "web", checkID: "service:web", status: "critical"))
        let health = try HTTP.get("/v1/agent/health/service/name/web", port: agent.httpPort)
        #expect(health.status == 503)
        #expect(health.headers["X-Consul-Reason"] == "critical")
    }

    /// TCP checks pass against a listening socket and fail against a closed port.
    @Test func tcpChecks() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        listen(listener, 16)
        let openPort = Int(UInt16(bigEndian: addr.sin_port))
        let closedPort = try freePort()
        let agent = try AgentProcess()
        #expect(try put(agent, "/v1/agent/service/register",
                        #"{"Name":"db","Checks":[{"CheckID":"up","TCP":"127.0.0.1:\#(openPort)","Interval":"1s"},{"CheckID":"down","TCP":"127.0.0.1:\#(closedPort)","Interval":"1s"}]}"#).status == 200)
        #expect(try waitForStatus(agent, service: "db", checkID: "up", status: "passing"))
        #expect(try waitForStatus(agent, service: "db", checkID: "down", status: "critical"))
    }

    /// Script checks run only when enabled: exit 0 passing, 1 warning, 2 critical.
    @Test func scriptChecks() throws {
        let disabled = try AgentProcess()
        let refused = try put(disabled, "/v1/agent/check/register", #"{"Name":"s","Args":["/bin/true"],"Interval":"1s"}"#)
        #expect(refused.status == 400)
        let agent = try AgentProcess(extraArgs: ["-enable-script-checks"])
        #expect(try put(agent, "/v1/agent/service/register",
                        #"{"Name":"job","Checks":[{"CheckID":"ok","Args":["/bin/sh","-c","exit 0"],"Interval":"1s"},{"CheckID":"warn","Args":["/bin/sh","-c","echo degraded; exit 1"],"Interval":"1s"},{"CheckID":"bad","Args":["/bin/sh","-c","exit 2"],"Interval":"1s"}]}"#).status == 200)
        #expect(try waitForStatus(agent, service: "job", checkID: "ok", status: "passing"))
        #expect(try waitForStatus(agent, service: "job", checkID: "warn", status: "warning"))
        #expect(try waitForStatus(agent, service: "job", checkID: "bad", status: "critical"))
        let checks = try #require(try HTTP.get("/v1/agent/checks", port: agent.httpPort).json as? [String: [String: Any]])
        #expect((checks["warn"]?["Output"] as? String)?.contains("degraded") == true)
    }

    /// Bad registrations get Consul's 400 texts and register nothing.
    @Test func malformedServiceRegistrations() throws {
        let agent = try AgentProcess()
        let cases: [(String, String)] = [
            ("{oops", "Request decode failed"),
            (#"{"Port":80}"#, "Missing service name"),
            (#"{"Name":"x","Address":"0.0.0.0"}"#, "Invalid service address"),
            (#"{"Name":"x","Check":{"HTTP":"http://127.0.0.1:1/","Interval":"bogus"}}"#, ""),
            (#"{"Name":"x","Check":{"TTL":"10s","Interval":"10s"}}"#, "Invalid check"),
            (#"{"Name":"x","Check":{"HTTP":"http://127.0.0.1:1/"}}"#, "Invalid check"),
            (#"{"Name":"x","Meta":{"consul-x":"y"}}"#, "Invalid Service Meta"),
            (#"{"Name":"x","Check":{"TTL":"10s","Status":"great"}}"#, "Status for checks must"),
        ]
        for (body, text) in cases {
            let r = try put(agent, "/v1/agent/service/register", body)
            #expect(r.status == 400, "\(body)")
            if !text.isEmpty { #expect(r.bodyText.contains(text), "\(body): \(r.bodyText)") }
        }
        let services = try #require(try HTTP.get("/v1/agent/services", port: agent.httpPort).json as? [String: Any])
        #expect(services.isEmpty)
        #expect(try put(agent, "/v1/agent/check/register", #"{"TTL":"5s"}"#).bodyText == "Missing check name")
        #expect(try put(agent, "/v1/agent/check/register", #"{"Name":"c","TTL":"5s","ServiceID":"ghost"}"#).status == 404)
    }

    /// Services from JSON and HCL config files are registered; SIGHUP reload applies edits.
    @Test func configFileServicesAndReload() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"service": {"name": "from-json", "port": 1111, "tags": ["a"]}}"#.utf8).write(to: dir.appendingPathComponent("a.json"))
        try Data("service {\n  name = \"from-hcl\"\n  port = 2222\n  check {\n    ttl = \"30s\"\n  }\n}\n".utf8)
            .write(to: dir.appendingPathComponent("b.hcl"))
        let agent = try AgentProcess(extraArgs: ["-config-dir", dir.path])
        var services: [String: [String]] = [:]
        for _ in 0..<200 {
            services = (try HTTP.get("/v1/catalog/services", port: agent.httpPort).json as? [String: [String]]) ?? [:]
            if services["from-json"] != nil && services["from-hcl"] != nil { break }
            usleep(10_000)
        }
        #expect(services["from-json"] == ["a"])
        #expect(services["from-hcl"] == [])
        // Edit one, remove the other, reload with SIGHUP.
        try Data(#"{"service": {"name": "from-json", "port": 1111, "tags": ["b"]}}"#.utf8).write(to: dir.appendingPathComponent("a.json"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("b.hcl"))
        agent.signal(SIGHUP)
        for _ in 0..<200 {
            services = (try HTTP.get("/v1/catalog/services", port: agent.httpPort).json as? [String: [String]]) ?? [:]
            if services["from-hcl"] == nil && services["from-json"] == ["b"] { break }
            usleep(10_000)
        }
        #expect(services["from-json"] == ["b"])
        #expect(services["from-hcl"] == nil)
    }
}

/// A Python HTTP server whose answer status the test sets (a real peer for HTTP checks).
final class PythonHTTPServer {
    let port: Int
    private let process = Process()
    private let statusFile: URL

    init() throws {
        port = try freePort()
        statusFile = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
        try Data("200".utf8).write(to: statusFile)
        let script = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                code = int(open(sys.argv[2]).read().strip() or "200")
                self.send_response(code); self.end_headers(); self.wfile.write(b"status %d" % code)
            def log_message(self, *a): pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(port), statusFile.path]
        try process.run()
        for _ in 0..<200 {
            if (try? HTTP.request("GET", "/", port: port, timeoutMs: 200)) != nil { return }
            usleep(20_000)
        }
    }

    func setStatus(_ code: Int) { try? Data(String(code).utf8).write(to: statusFile) }

    func stop() {
        // SIGKILL: the test runner may start children with SIGTERM blocked.
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: statusFile)
    }
}
