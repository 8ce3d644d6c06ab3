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
}
