import Foundation
import Glibc
import HTTP1
import LiveRuntime
import Platform

/// Minimal raw-socket HTTP for live tests: exact bytes out, parsed responses back.
enum HTTP {
    /// One request on a fresh connection.
    static func request(_ method: String, _ target: String, port: Int, body: [UInt8]? = nil,
                        headers: [(String, String)] = [], timeoutMs: Int = 30_000) throws -> HTTPClientResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        var bytes: [UInt8]
        if let body {
            text += "Content-Length: \(body.count)\r\n\r\n"
            bytes = Array(text.utf8) + body
        } else {
            bytes = Array((text + "\r\n").utf8)
        }
        let connection = try RawConnection(port: port, timeoutMs: timeoutMs)
        try connection.send(bytes)
        return try connection.readResponse(head: method == "HEAD")
    }

    static func get(_ target: String, port: Int) throws -> HTTPClientResponse { try request("GET", target, port: port) }
    static func put(_ target: String, port: Int, body: String = "") throws -> HTTPClientResponse {
        try request("PUT", target, port: port, body: Array(body.utf8))
    }
    static func delete(_ target: String, port: Int) throws -> HTTPClientResponse { try request("DELETE", target, port: port) }
}

/// One TCP connection with a response parser, for keep-alive and pipelining tests.
final class RawConnection {
    private let stream: BlockingStream
    private var parser = HTTPResponseParser()
    private var eof = false

    init(port: Int, timeoutMs: Int = 30_000) throws {
        stream = try PosixDialer().dial(host: "127.0.0.1", port: port, timeoutMilliseconds: timeoutMs)
    }

    deinit { stream.close() }

    func send(_ bytes: [UInt8]) throws { try stream.write(bytes) }
    func send(_ text: String) throws { try stream.write(Array(text.utf8)) }

    func readResponse(head: Bool = false) throws -> HTTPClientResponse {
        if head { parser = HTTPResponseParser(requestWasHead: true) }
        while true {
            if let response = try parser.next(atEOF: eof) { return response }
            if eof { throw RawConnectionError.closedEarly }
            let chunk = try stream.read(maxBytes: 65536)
            if chunk.isEmpty { eof = true } else { parser.feed(chunk) }
        }
    }

    /// Raw bytes straight from the socket (bypassing the parser).
    func readChunk() throws -> [UInt8] { try stream.read(maxBytes: 65536) }

    /// True when the server closes the connection (reads EOF) before the timeout.
    func readsEOF() -> Bool {
        while true {
            guard let chunk = try? stream.read(maxBytes: 65536) else { return false }
            if chunk.isEmpty { return true }
        }
    }
}

enum RawConnectionError: Error { case closedEarly }

extension HTTPClientResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    var index: UInt64? { headers["X-Consul-Index"].flatMap { UInt64($0) } }
}
