import Foundation
import Glibc
import Testing

/// gRPC health checks against a real gRPC server (Python grpcio from Debian's python3-grpcio,
/// serving `grpc.health.v1.Health/Check`): SERVING is passing, NOT_SERVING and errors are
/// critical, and a flip on the server shows through a blocking `?passing` query.
@Suite struct GRPCCheckLiveTests {
    static let server = #"""
    import sys, time, grpc
    from concurrent import futures
    port, flip_path = int(sys.argv[1]), sys.argv[2]
    def service_of(req):
        # HealthCheckRequest { string service = 1; }
        if len(req) >= 2 and req[0] == 0x0A:
            return req[2:2 + req[1]].decode()
        return ""
    def check(req, context):
        name = service_of(req)
        if name == "flip":
            with open(flip_path) as f:
                status = int(f.read().strip() or "1")
        elif name in ("", "good"):
            status = 1
        elif name == "bad":
            status = 2
        else:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return bytes([0x08, status])
    handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(check, request_deserializer=lambda b: b, response_serializer=lambda b: b)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)
    """#

    final class GRPCServer {
        let process: SpawnedProcess
        let port: Int
        let flipPath: String
        init() throws {
            port = try freePort()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grpc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            flipPath = dir.appendingPathComponent("flip").path
            try Data("1".utf8).write(to: URL(fileURLWithPath: flipPath))
            let script = dir.appendingPathComponent("health.py")
            try Data(GRPCCheckLiveTests.server.utf8).write(to: script)
            process = try SpawnedProcess(["/usr/bin/python3", script.path, String(port), flipPath])
            // Ready when the port accepts connections.
            for _ in 0..<200 {
                if GRPCCheckLiveTests.portOpen(port) { return }
                usleep(50_000)
            }
        }
        func set(_ status: Int) throws { try Data(String(status).utf8).write(to: URL(fileURLWithPath: flipPath)) }
    }

    static func portOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    func checkStatus(_ agent: AgentProcess, _ id: String) -> (String, String)? {
        guard let checks = (try? HTTP.get("/v1/agent/checks", port: agent.httpPort))?.json as? [String: [String: Any]],
              let c = checks[id] else { return nil }
        return (c["Status"] as? String ?? "", c["Output"] as? String ?? "")
    }

    func waitFor(_ agent: AgentProcess, _ id: String, _ status: String) -> (String, String)? {
        for _ in 0..<200 {
            if let s = checkStatus(agent, id), s.0 == status, !s.1.isEmpty { return s }   // checks start critical with no output
            usleep(50_000)
        }
        return checkStatus(agent, id)
    }

    @Test(.enabled(if: toolTestEnabled(FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/grpc"))))
    func grpcHealthChecks() throws {
        let server = try GRPCServer()
        let agent = try AgentProcess()
        let target = "127.0.0.1:\(server.port)"
        func register(_ id: String, _ grpc: String) throws {
            let body = #"{"ID":"\#(id)","Name":"\#(id)","GRPC":"\#(grpc)","Interval":"200ms","Timeout":"2s"}"#
            #expect(try HTTP.request("PUT", "/v1/agent/check/register", port: agent.httpPort, body: Array(body.utf8)).status == 200)
        }
        try register("good", "\(target)/good")
        try register("plain", target)
        try register("bad", "\(target)/bad")
        try register("unknown", "\(target)/nope")
        try register("closed", "127.0.0.1:\(try freePort())")

        let good = waitFor(agent, "good", "passing")
        #expect(good?.0 == "passing")
        #expect(good?.1 == "gRPC check \(target)/good: success")
        #expect(waitFor(agent, "plain", "passing")?.0 == "passing")
        let bad = waitFor(agent, "bad", "critical")
        #expect(bad?.1.contains("NOT_SERVING") == true, "\(String(describing: bad))")
        let unknown = waitFor(agent, "unknown", "critical")
        #expect(unknown?.1.hasPrefix("gRPC check \(target)/nope: failed") == true, "\(String(describing: unknown))")
        #expect(waitFor(agent, "closed", "critical")?.0 == "critical")
    }

    /// A service whose gRPC health flips: the blocked `?passing` query wakes with it gone.
    @Test(.enabled(if: toolTestEnabled(FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/grpc"))))
    func flipWakesBlockingQuery() throws {
        let server = try GRPCServer()
        let agent = try AgentProcess()
        let body = #"{"Name":"rpc","Port":\#(server.port),"Check":{"GRPC":"127.0.0.1:\#(server.port)/flip","Interval":"200ms"}}"#
        #expect(try HTTP.request("PUT", "/v1/agent/service/register", port: agent.httpPort, body: Array(body.utf8)).status == 200)
        var passing: HTTPClientResponseAlias?
        for _ in 0..<100 {
            passing = try HTTP.get("/v1/health/service/rpc?passing", port: agent.httpPort)
            if (passing?.json as? [Any])?.count == 1 { break }
            usleep(50_000)
        }
        #expect((passing?.json as? [Any])?.count == 1)
        let index = try #require(passing?.index)
        try server.set(2)
        let woke = try HTTP.request("GET", "/v1/health/service/rpc?passing&index=\(index)&wait=20s", port: agent.httpPort, timeoutMs: 25_000)
        #expect((woke.json as? [Any])?.isEmpty == true, "NOT_SERVING took the instance out of ?passing")
    }
}
