/// `host:port` as Go's `net.SplitHostPort` reads it (`[::1]:80` for IPv6 literals).
struct HostPort: Equatable {
    var host: String
    var port: Int

    /// Nil with Go's reason (`missing port in address`, `too many colons in address`, …).
    static func parse(_ text: String) -> Result<HostPort, HostPortError> {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init(text, "missing ']' in address")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                return .failure(.init(text, rest.isEmpty ? "missing port in address" : "missing port in address"))
            }
            portText = rest.dropFirst()
            if portText.contains(":") { return .failure(.init(text, "too many colons in address")) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.init(text, "missing port in address")) }
            host = text[..<colon]
            if host.contains(":") { return .failure(.init(text, "too many colons in address")) }
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), port >= 0, port <= 65535 else {
            return .failure(.init(text, portText.isEmpty ? "missing port in address" : "unknown port"))
        }
        return .success(HostPort(host: host.isEmpty ? "127.0.0.1" : String(host), port: port))
    }
}

/// A malformed address, worded as Go's `net.AddrError` (`address foo: missing port in address`).
struct HostPortError: Error, Equatable, CustomStringConvertible {
    var address: String
    var reason: String
    init(_ address: String, _ reason: String) { self.address = address; self.reason = reason }
    var description: String { "address \(address): \(reason)" }
}
