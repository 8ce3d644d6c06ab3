import Foundation
import Testing

/// `http_config` on a real agent over a real socket: writes from outside the allowed networks
/// are refused with 403, reads are not, and response headers reach every answer.
@Suite struct HTTPConfigLiveTests {
    @Test func allowWriteHTTPFromAndResponseHeaders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("httpcfg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        try """
        http_config {
          response_headers { "Access-Control-Allow-Origin" = "*" }
          allow_write_http_from = ["10.0.0.0/8"]
        }
        """.write(toFile: dir + "/http.hcl", atomically: true, encoding: .utf8)
        let restricted = try AgentProcess(extraArgs: ["-config-file", dir + "/http.hcl"])
        defer { restricted.stop() }
        let refused = try HTTP.put("/v1/kv/locked", port: restricted.httpPort, body: "x")
        #expect(refused.status == 403 && String(decoding: refused.body, as: UTF8.self) == "Access is restricted")
        let read = try HTTP.get("/v1/kv/locked", port: restricted.httpPort)
        #expect(read.status == 404, "the write did not happen; reads are allowed")
        #expect(read.headers["Access-Control-Allow-Origin"] == "*")

        // Loopback allowed by flag: the write goes through.
        let open = try AgentProcess(extraArgs: ["-allow-write-http-from", "127.0.0.0/8"])
        defer { open.stop() }
        #expect(try HTTP.put("/v1/kv/free", port: open.httpPort, body: "x").status == 200)
        #expect(!open.log.contains("no access control"))
    }

    /// An HTTP API on a non-loopback address with nothing restricting writes is announced loudly.
    @Test func openHTTPAPIIsWarnedAbout() throws {
        let agent = try AgentProcess(extraArgs: ["-client", "0.0.0.0"])
        defer { agent.stop() }
        let warned = pollValue(10, every: 100_000, { agent.log }) { $0.contains("no access control") }
        #expect(warned.contains("[WARN]") && warned.contains("address=0.0.0.0"), "\(warned.suffix(2000))")
    }

    /// `limits.http_max_conns_per_client`: one connection more than allowed from an IP gets
    /// Consul's 429 and is closed; once one closes, a new one is served.
    @Test func connectionsPerClientAreLimited() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connlimit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        try "limits {\n  http_max_conns_per_client = 3\n}\n".write(toFile: dir + "/limits.hcl", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-config-file", dir + "/limits.hcl"])
        defer { agent.stop() }
        var open: [RawConnection] = []
        for _ in 0..<3 {
            let c = try RawConnection(port: agent.httpPort)
            try c.send("GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
            open.append(c)
        }
        let extra = try RawConnection(port: agent.httpPort)
        let refused = try extra.readResponse()
        #expect(refused.status == 429)
        #expect(String(decoding: refused.body, as: UTF8.self) == "Your IP is issuing too many concurrent connections, please rate limit your calls\n")
        #expect(extra.readsEOF())
        open.removeLast()   // closes it
        let served = pollValue(10, every: 100_000, { () -> Int in
            guard let c = try? RawConnection(port: agent.httpPort) else { return 0 }
            do {
                try c.send("GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n")
                return try c.readResponse().status
            } catch { return 0 }
        }) { $0 == 200 }
        #expect(served == 200)
    }
}
