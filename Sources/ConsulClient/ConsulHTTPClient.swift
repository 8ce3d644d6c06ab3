import ConsulAPI
import HTTP1
import Platform

/// Where and how the CLI reaches an agent (`-http-addr` / `CONSUL_HTTP_ADDR` and friends).
public struct ClientSettings: Sendable {
    public var address = "127.0.0.1:8500"
    public var token = ""
    public var datacenter = ""
    public var stale = false
    public var timeoutMilliseconds = 0

    public init() {}
}

public enum ClientError: Error, CustomStringConvertible {
    /// The agent could not be reached; Consul's CLI prefixes this with "Error connecting to Consul agent".
    case connection(String)
    /// A non-2xx answer, worded as the Go API client words it.
    case unexpectedResponse(status: Int, body: String)
    case badResponse(String)
    case badAddress(String)

    public var description: String {
        switch self {
        case .connection(let m): return m
        case .unexpectedResponse(let status, let body): return "Unexpected response code: \(status) (\(body))"
        case .badResponse(let m): return "invalid response: \(m)"
        case .badAddress(let m): return m
        }
    }
}

/// A small blocking client of Consul's HTTP API, one connection per request.
public final class ConsulHTTPClient {
    public let settings: ClientSettings
    private let dialer: BlockingDialer
    private enum Target { case tcp(host: String, port: Int), unix(String) }
    private let target: Target
    private let hostHeader: String

    public init(settings: ClientSettings, dialer: BlockingDialer) throws {
        self.settings = settings
        self.dialer = dialer
        var address = settings.address
        if address.hasPrefix("unix://") {
            target = .unix(String(address.dropFirst("unix://".count)))
            hostHeader = "localhost"
            return
        }
        if address.hasPrefix("https://") {
            throw ClientError.badAddress("HTTPS is not supported by this build: \(address)")
        }
        if address.hasPrefix("http://") { address = String(address.dropFirst("http://".count)) }
        while address.hasSuffix("/") { address.removeLast() }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              port > 0, port < 65536 else {
            throw ClientError.badAddress("Error parsing Consul address \(settings.address): missing or invalid port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        target = .tcp(host: host, port: port)
        hostHeader = address
    }

    /// Sends one request; `query` values are encoded here. Adds `dc`/`stale` for reads when set.
    public func send(_ method: String, _ path: String, query: [(String, String?)] = [], body: [UInt8]? = nil,
                     serverFlags: Bool = true, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        let stream = try openStream(method, path, query: query, body: body, serverFlags: serverFlags, headers: headers)
        defer { stream.close() }
        do {
            var parser = HTTPResponseParser(requestWasHead: method == "HEAD")
            while true {
                let chunk = try stream.read(maxBytes: 65536)
                parser.feed(chunk)
                if let response = try parser.next(atEOF: chunk.isEmpty) { return response }
                if chunk.isEmpty { throw ClientError.badResponse("connection closed before a full response") }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.connection("\(error)")
        }
    }

    /// Connects and writes the request; the caller reads the response and closes the stream.
    func openStream(_ method: String, _ path: String, query: [(String, String?)] = [], body: [UInt8]? = nil,
                    serverFlags: Bool = true, headers: [(String, String)] = []) throws -> BlockingStream {
        var items = query
        if serverFlags {
            if !settings.datacenter.isEmpty { items.append(("dc", settings.datacenter)) }
            if settings.stale && method == "GET" { items.append(("stale", nil)) }
        }
        var target = percentEncode(path, keep: "/:")
        if !items.isEmpty {
            target += "?" + items.map { name, value in
                value.map { "\(percentEncode(name, keep: ""))=\(percentEncode($0, keep: ""))" } ?? percentEncode(name, keep: "")
            }.joined(separator: "&")
        }
        var request = Array("\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: consul-swift-cli\r\nConnection: close\r\n".utf8)
        if !settings.token.isEmpty { request += Array("X-Consul-Token: \(settings.token)\r\n".utf8) }
        for (name, value) in headers { request += Array("\(name): \(value)\r\n".utf8) }
        if let body {
            request += Array("Content-Length: \(body.count)\r\n\r\n".utf8)
            request += body
        } else {
            request += Array("\r\n".utf8)
        }
        let stream: BlockingStream
        do {
            switch self.target {
            case let .tcp(host, port): stream = try dialer.dial(host: host, port: port, timeoutMilliseconds: settings.timeoutMilliseconds)
            case let .unix(path): stream = try dialer.dialUnix(path: path, timeoutMilliseconds: settings.timeoutMilliseconds)
            }
        } catch {
            throw ClientError.connection("\(error)")
        }
        do { try stream.write(request) } catch {
            stream.close()
            throw ClientError.connection("\(error)")
        }
        return stream
    }

    /// Like `send`, but any status other than 200 is an error (404 too).
    public func sendExpectingOK(_ method: String, _ path: String, query: [(String, String?)] = [], body: [UInt8]? = nil,
                                serverFlags: Bool = true) throws -> HTTPClientResponse {
        let response = try send(method, path, query: query, body: body, serverFlags: serverFlags)
        guard response.status == 200 else {
            throw ClientError.unexpectedResponse(status: response.status, body: response.bodyText)
        }
        return response
    }

    public func json(_ response: HTTPClientResponse) throws -> JSONValue {
        do { return try JSONParser.parse(response.body) } catch { throw ClientError.badResponse("\(error)") }
    }
}
