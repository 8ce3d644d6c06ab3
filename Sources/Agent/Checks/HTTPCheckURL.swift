import ConsulAPI

/// The parts of an `http://` check URL an HTTP/1.1 client needs (a small subset of Go's net/url).
struct HTTPCheckURL: Equatable {
    var scheme: String
    /// Host as written, without brackets for IPv6 literals.
    var host: String
    var port: Int
    /// `user:password` from the authority, for Basic authentication ("" = none).
    var userInfo: String
    /// Path and query as sent on the request line (`/` when empty).
    var target: String
    /// The `Host` header value: host, bracketed when IPv6, with the port when one was written.
    var hostHeader: String

    /// Go's reasons: `unsupported protocol scheme "ftp"`, `http: no Host in request URL`, …
    static func parse(_ text: String) -> Result<HTTPCheckURL, HTTPCheckURLError> {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            let scheme = text.firstIndex(of: ":").map { String(text[..<$0]).lowercased() } ?? ""
            return .failure(.init("unsupported protocol scheme \(goQuoted(scheme))"))
        }
        let scheme = text[..<colon].lowercased()
        var rest = text[text.index(colon, offsetBy: 3)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        var userInfo = ""
        if let at = authority.lastIndex(of: "@") {
            userInfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring = authority
        var portText: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.init("missing ']' in host")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.first == ":" { portText = after.dropFirst() } else if !after.isEmpty {
                return .failure(.init("invalid port \(goQuoted(String(after))) after host"))
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        if host.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }) {
            return .failure(.init("invalid character \" \" in host name"))
        }
        let defaultPort = scheme == "https" ? 443 : 80
        var port = defaultPort
        if !portText.isEmpty {
            guard let p = Int(portText), p >= 0, p <= 65535 else {
                return .failure(.init("invalid port \(goQuoted(":" + portText)) after host"))
            }
            port = p
        }
        guard scheme == "http" || scheme == "https" else {
            return .failure(.init("unsupported protocol scheme \(goQuoted(scheme))"))
        }
        guard !host.isEmpty else { return .failure(.init("http: no Host in request URL")) }
        let bracketed = host.contains(":") ? "[\(host)]" : String(host)
        return .success(HTTPCheckURL(scheme: scheme, host: String(host), port: port, userInfo: userInfo, target: target,
                                     hostHeader: portText.isEmpty ? bracketed : "\(bracketed):\(portText)"))
    }

    /// The absolute URL, for error messages and redirects.
    var text: String { "\(scheme)://\(hostHeader)\(target)" }

    /// A `Location` resolved against this URL (absolute, scheme-relative, absolute-path or relative).
    func resolving(_ location: String) -> Result<HTTPCheckURL, HTTPCheckURLError> {
        if let colon = location.firstIndex(of: ":"), location[colon...].hasPrefix("://"),
           !location[..<colon].contains("/") {
            return HTTPCheckURL.parse(location)
        }
        if location.hasPrefix("//") { return HTTPCheckURL.parse(scheme + ":" + location) }
        var base = self
        if location.hasPrefix("/") {
            base.target = location
        } else {
            let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
            let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
            base.target = location.hasPrefix("?") ? path + location : directory + location
        }
        if let hash = base.target.firstIndex(of: "#") { base.target = String(base.target[..<hash]) }
        return .success(base)
    }
}

struct HTTPCheckURLError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
