import ConsulAPI
import HTTP1
import Platform

/// HTTP check: one request per interval over HTTP/1.1, or HTTPS through the environment's TLS
/// client (`TLSServerName`, `TLSSkipVerify`). 2xx is passing, 429 warning, anything else critical; the output is
/// `HTTP <METHOD> <url>: <status> <reason> Output: <body tail>`. Redirects are followed (up to
/// 10, Go's rules for method and body) unless `DisableRedirects`; the timeout bounds the whole
/// exchange including redirects.
final class HTTPProbe: CheckProbe {
    static let redirectsMax = 10

    private let definitionURL: String
    private let method: String
    private let header: [String: [String]]
    private let body: [UInt8]
    private let followRedirects: Bool
    private let timeoutNanoseconds: UInt64
    private let outputMaxSize: Int
    private let environment: CheckEnvironment
    private let tlsServerName: String
    private let tlsSkipVerify: Bool

    // The attempt in flight.
    private var done: ((CheckResult) -> Void)?
    private var timer: TimerHandle?
    private var dialer: CheckDialer?
    private var exchange: HTTPExchange?
    private var currentURL = ""

    init(type: CheckType, timeoutNanoseconds: UInt64, outputMaxSize: Int, environment: CheckEnvironment) {
        definitionURL = type.http
        method = type.method.isEmpty ? "GET" : type.method
        header = type.header
        body = Array(type.body.utf8)
        followRedirects = !type.disableRedirects
        self.timeoutNanoseconds = timeoutNanoseconds
        self.outputMaxSize = outputMaxSize
        tlsServerName = type.tlsServerName
        tlsSkipVerify = type.tlsSkipVerify
        self.environment = environment
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        self.done = done
        currentURL = definitionURL
        timer = environment.clock.schedule(after: timeoutNanoseconds) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.fail("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        }
        switch HTTPCheckURL.parse(definitionURL) {
        case .failure(let error):
            let message = error.description
            let url = definitionURL
            environment.clock.schedule(after: 0) { [weak self] in
                // Go's client rejects a scheme or a missing host when sending (wrapped as `Get "…": …`);
                // anything else fails earlier, when the URL is parsed.
                if message.hasPrefix("unsupported protocol scheme") || message.hasPrefix("http: no Host") {
                    self?.fail(message)
                } else {
                    self?.finish(.critical("parse \(goQuoted(url)): \(message)"))
                }
            }
        case .success(let url):
            send(method: method, url: url, body: body, hops: 0)
        }
    }

    func cancel() {
        done = nil
        cleanUp()
    }

    private func send(method: String, url: HTTPCheckURL, body: [UInt8], hops: Int) {
        guard done != nil else { return }
        if hops > 0 { currentURL = url.text }
        if url.scheme == "https" && environment.tls == nil {
            finish(.critical(unsupportedTLS))
            return
        }
        let request: [UInt8]
        switch HTTPCheckRequest(method: method, url: url, header: header, body: body).serialized() {
        case .failure(let error): fail(error.description); return
        case .success(let bytes): request = bytes
        }
        let dialer = CheckDialer(network: environment.network, resolver: environment.resolver, clock: environment.clock)
        self.dialer = dialer
        // The overall timer bounds the dial too; the dialer's own bound is only a backstop.
        dialer.dial(host: url.host, port: url.port, timeoutNanoseconds: timeoutNanoseconds) { [weak self] result in
            guard let self, self.done != nil else { return }
            self.dialer = nil
            switch result {
            case .failure(let error):
                self.fail(error.description)
            case .success(let connection):
                guard url.scheme == "https", let tls = self.environment.tls else {
                    return self.exchange(over: connection, request: request, method: method, url: url, body: body, hops: hops)
                }
                let serverName = self.tlsServerName.isEmpty ? url.host : self.tlsServerName
                tls.handshake(over: connection, serverName: serverName, skipVerify: self.tlsSkipVerify) { [weak self] result in
                    guard let self, self.done != nil else {
                        if case .success(let secured) = result { secured.close() }
                        return
                    }
                    switch result {
                    case .failure(let error): self.fail(error.description)
                    case .success(let secured): self.exchange(over: secured, request: request, method: method, url: url, body: body, hops: hops)
                    }
                }
            }
        }
    }

    private func exchange(over connection: StreamConnection, request: [UInt8], method: String, url: HTTPCheckURL, body: [UInt8], hops: Int) {
        exchange = HTTPExchange(connection: connection, request: request, isHead: method == "HEAD") { [weak self] result in
            guard let self, self.done != nil else { return }
            self.exchange = nil
            switch result {
            case .failure(let error): self.fail(error.description)
            case .success(let response): self.received(response, method: method, url: url, body: body, hops: hops)
            }
        }
    }

    private func received(_ response: HTTPClientResponse, method: String, url: HTTPCheckURL, body: [UInt8], hops: Int) {
        if followRedirects, [301, 302, 303, 307, 308].contains(response.status), let location = response.headers["Location"] {
            guard hops < HTTPProbe.redirectsMax else {
                fail("stopped after \(HTTPProbe.redirectsMax) redirects")
                return
            }
            let keepsBody = response.status == 307 || response.status == 308
            let nextMethod = keepsBody || method == "GET" || method == "HEAD" ? method : "GET"
            switch url.resolving(location) {
            case .failure(let error):
                fail("failed to parse Location header \(goQuoted(location)): \(error)")
            case .success(let next):
                send(method: nextMethod, url: next, body: keepsBody ? body : [], hops: hops + 1)
            }
            return
        }
        finish(HTTPProbe.result(for: response, method: self.method, url: definitionURL, outputMaxSize: outputMaxSize))
    }

    /// Consul's verdict and output for a response.
    static func result(for response: HTTPClientResponse, method: String, url: String, outputMaxSize: Int) -> CheckResult {
        let tail = response.body.count > outputMaxSize ? Array(response.body.suffix(outputMaxSize)) : response.body
        let statusText = response.reason.isEmpty ? "\(response.status)" : "\(response.status) \(response.reason)"
        let output = "HTTP \(method) \(url): \(statusText) Output: \(String(decoding: tail, as: UTF8.self))"
        switch response.status {
        case 200...299: return .passing(output)
        case 429: return .warning(output)
        default: return .critical(output)
        }
    }

    /// A transport error, wrapped as Go's `url.Error`: `Get "http://…": <error>`.
    private func fail(_ message: String) {
        let op = method.prefix(1).uppercased() + method.dropFirst().lowercased()
        finish(.critical("\(op) \(goQuoted(currentURL)): \(message)"))
    }

    private func finish(_ result: CheckResult) {
        guard let done else { return }
        self.done = nil
        cleanUp()
        done(result)
    }

    private func cleanUp() {
        timer?.cancel()
        timer = nil
        dialer?.cancel()
        dialer = nil
        exchange?.cancel()
        exchange = nil
    }
}
