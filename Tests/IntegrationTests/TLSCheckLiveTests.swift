import Foundation
import Glibc
import Testing

/// HTTPS and TCP-with-TLS checks against a real TLS server (Python's ssl module with a
/// self-signed certificate made by the openssl tool): `TLSSkipVerify` passes, verification
/// fails with the x509 reason, a plaintext server fails the handshake.
@Suite struct TLSCheckLiveTests {
    static let server = #"""
    import http.server, ssl, sys
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"tls ok"
            self.send_response(200 if self.path == "/health" else 503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()
    """#

    final class TLSServer {
        let process: SpawnedProcess
        let port: Int
        init() throws {
            port = try freePort()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = try SpawnedProcess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                             "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"])
            try Data(TLSCheckLiveTests.server.utf8).write(to: URL(fileURLWithPath: dir + "/server.py"))
            process = try SpawnedProcess(["/usr/bin/python3", dir + "/server.py", String(port), dir + "/cert.pem", dir + "/key.pem"])
            for _ in 0..<200 {
                if GRPCCheckLiveTests.portOpen(port) { break }
                usleep(50_000)
            }
        }
    }

    func status(_ agent: AgentProcess, _ id: String) -> (String, String) {
        for _ in 0..<200 {
            if let checks = (try? HTTP.get("/v1/agent/checks", port: agent.httpPort))?.json as? [String: [String: Any]],
               let c = checks[id], let output = c["Output"] as? String, !output.isEmpty {
                return (c["Status"] as? String ?? "", output)
            }
            usleep(50_000)
        }
        return ("", "")
    }

    @Test func httpsAndTCPWithTLS() throws {
        let server = try TLSServer()
        let plain = try TLSServerPlainListener()
        let agent = try AgentProcess()
        func register(_ json: String) throws {
            #expect(try HTTP.request("PUT", "/v1/agent/check/register", port: agent.httpPort, body: Array(json.utf8)).status == 200)
        }
        let url = "https://127.0.0.1:\(server.port)/health"
        try register(#"{"ID":"skip","Name":"skip","HTTP":"\#(url)","TLSSkipVerify":true,"Interval":"1s"}"#)
        try register(#"{"ID":"verify","Name":"verify","HTTP":"\#(url)","Interval":"1s"}"#)
        try register(#"{"ID":"named","Name":"named","HTTP":"\#(url)","TLSServerName":"localhost","Interval":"1s"}"#)
        try register(#"{"ID":"down","Name":"down","HTTP":"https://127.0.0.1:\#(server.port)/missing","TLSSkipVerify":true,"Interval":"1s"}"#)
        try register(#"{"ID":"tcp-tls","Name":"tcp-tls","TCP":"127.0.0.1:\#(server.port)","TCPUseTLS":true,"TLSSkipVerify":true,"Interval":"1s"}"#)
        try register(#"{"ID":"tcp-plain","Name":"tcp-plain","TCP":"127.0.0.1:\#(plain.port)","TCPUseTLS":true,"TLSSkipVerify":true,"Interval":"1s","Timeout":"2s"}"#)

        let skip = status(agent, "skip")
        #expect(skip.0 == "passing")
        #expect(skip.1 == "HTTP GET \(url): 200 OK Output: tls ok")
        let verify = status(agent, "verify")
        #expect(verify.0 == "critical")
        #expect(verify.1.contains("x509:") && verify.1.contains("self"), "\(verify.1)")
        #expect(status(agent, "named").0 == "critical")
        let down = status(agent, "down")
        #expect(down.0 == "critical")
        #expect(down.1.contains(": 503 "), "\(down.1)")
        #expect(status(agent, "tcp-tls").0 == "passing")
        #expect(status(agent, "tcp-plain").0 == "critical")
    }
}

/// A TCP listener that accepts and answers nothing TLS-like (it closes at once).
final class TLSServerPlainListener {
    let fd: Int32
    let port: Int
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 16)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        let listener = fd
        Thread.detachNewThread {
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                _ = "HTTP/1.0 400 nope\r\n\r\n".withCString { write(c, $0, strlen($0)) }
                close(c)
            }
        }
    }
    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
