import ConsulAPI
import Wire

/// The bytes of one health-check request, as Go's client writes them for Consul: the
/// definition's headers, `User-Agent: Consul Health Check` and
/// `Accept: text/plain, text/*, */*` unless given, a `Host` header override honoured, and
/// `Connection: close` (Consul turns keep-alives off).
struct HTTPCheckRequest {
    var method: String
    var url: HTTPCheckURL
    var header: [String: [String]]
    var body: [UInt8]

    static let userAgent = "Consul Health Check"
    static let accept = "text/plain, text/*, */*"

    /// Nil with Go's reason when a header would break the request framing.
    func serialized() -> Result<[UInt8], HTTPCheckURLError> {
        var fields: [(String, String)] = []
        var host = url.hostHeader
        var hasUserAgent = false, hasAccept = false, hasAuthorization = false
        for name in header.keys.sorted() {
            guard isToken(name) else { return .failure(.init("net/http: invalid header field name \(goQuoted(name))")) }
            for value in header[name] ?? [] {
                guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    return .failure(.init("net/http: invalid header field value for \(goQuoted(name))"))
                }
                switch name.lowercased() {
                case "host": host = value; continue
                case "content-length", "transfer-encoding", "connection": continue
                case "user-agent": hasUserAgent = true
                case "accept": hasAccept = true
                case "authorization": hasAuthorization = true
                default: break
                }
                fields.append((name, value))
            }
        }
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(host)\r\n"
        if !hasUserAgent { head += "User-Agent: \(HTTPCheckRequest.userAgent)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        if !hasAccept { head += "Accept: \(HTTPCheckRequest.accept)\r\n" }
        if !url.userInfo.isEmpty && !hasAuthorization {
            head += "Authorization: Basic \(Base64.encode(Array(percentDecoded(url.userInfo).utf8)))\r\n"
        }
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return .success(Array(head.utf8) + body)
    }

    private func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            c > 32 && c < 127 && !"\"(),/:;<=>?@[\\]{}".utf8.contains(c)
        }
    }

    private func percentDecoded(_ s: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let c = bytes.first {
            bytes = bytes.dropFirst()
            if c == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
