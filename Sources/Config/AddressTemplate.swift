import ConsulAPI
import Platform
import Wire

/// go-sockaddr's templates as Consul's address keys accept them (`bind_addr`, `advertise_addr`,
/// `client_addr`, `retry_join`, …): text with `{{ … }}` actions evaluated over the host's
/// interfaces. Supported: `GetPrivateIP(s)`, `GetPublicIP(s)`, `GetInterfaceIP(s) "eth0"`,
/// `GetAllInterfaces`, `GetDefaultInterfaces`, `GetPrivateInterfaces`, `GetPublicInterfaces`,
/// piped through `include`/`exclude` ("name", "network", "type", "flag(s)", "rfc"), `sort`,
/// `limit`, `offset`, and ending in `attr` or `join` ("address", "name", "network", "size").
public enum AddressTemplate {
    /// One address of one interface (go-sockaddr's IfAddr).
    struct IfAddr: Equatable {
        var interface: String
        var ip: IPBytes
        var prefixLength: Int
        var up: Bool
        var loopback: Bool
        var isDefault: Bool

        var address: String { IPText.text(ip) ?? "" }
        var isIPv4: Bool { ip.count == 4 }
        var isPrivate: Bool {
            isIPv4 ? AddressDetection.isPrivateIPv4(ip) : ip[0] & 0xFE == 0xFC
        }
        /// Neither loopback, link-local, unspecified nor multicast (go-sockaddr's "forwardable").
        var isForwardable: Bool {
            if isIPv4 {
                return ip[0] != 127 && ip[0] != 0 && !(ip[0] == 169 && ip[1] == 254) && ip[0] < 224
            }
            return AddressDetection.isPublicIPv6(ip) || ip[0] & 0xFE == 0xFC
        }
        var network: String {
            var masked = ip
            for i in masked.indices {
                let bits = max(0, min(8, prefixLength - i * 8))
                masked[i] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            }
            return "\(IPText.text(masked) ?? "")/\(prefixLength)"
        }
    }

    public static func expand(_ text: String, facts: NetworkFacts) throws(ConfigError) -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw ConfigError("unclosed action")
            }
            out += try evaluate(String(rest[open.upperBound..<close.lowerBound]), facts)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// Expands and splits on white space: a template may name several addresses.
    public static func expandAddresses(_ key: String, _ text: String, facts: NetworkFacts) throws(ConfigError) -> [String] {
        let expanded: String
        do { expanded = try expand(text, facts: facts) } catch {
            throw ConfigError("\(key): error parsing \(goQuoted(text)): \(error.message)")
        }
        return expanded.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    // MARK: Evaluation

    private enum Value {
        case text(String)
        case addrs([IfAddr])
    }

    private static func evaluate(_ action: String, _ facts: NetworkFacts) throws(ConfigError) -> String {
        let stages = try pipeline(action)
        guard !stages.isEmpty else { throw ConfigError("empty action") }
        var value: Value?
        for stage in stages {
            value = try apply(stage, to: value, facts)
        }
        switch value {
        case .text(let s): return s
        case .addrs: throw ConfigError("the template yields interfaces, not an address: end it with | attr \"address\" or | join \"address\" \" \"")
        case nil: return ""
        }
    }

    /// Splits `A "x" | B 1 | C` into stages of words (quoted strings unquoted).
    private static func pipeline(_ action: String) throws(ConfigError) -> [[String]] {
        var stages: [[String]] = [[]]
        var word = ""
        var inQuote = false, quoted = false
        func endWord() {
            if !word.isEmpty || quoted { stages[stages.count - 1].append(word) }
            word = ""
            quoted = false
        }
        for c in action {
            if inQuote {
                if c == "\"" { inQuote = false } else { word.append(c) }
            } else if c == "\"" {
                inQuote = true
                quoted = true
            } else if c == " " || c == "\t" {
                endWord()
            } else if c == "|" {
                endWord()
                stages.append([])
            } else {
                word.append(c)
            }
        }
        if inQuote { throw ConfigError("unterminated quoted string") }
        endWord()
        return stages.filter { !$0.isEmpty }
    }

    private static func all(_ facts: NetworkFacts) -> [IfAddr] {
        facts.interfaces.flatMap { iface in
            iface.addresses.compactMap { a -> IfAddr? in
                guard let ip = IPText.bytes(a.ip) else { return nil }
                return IfAddr(interface: iface.name, ip: ip, prefixLength: a.prefixLength, up: iface.isUp, loopback: iface.isLoopback,
                              isDefault: facts.defaultRouteInterfaces.contains(iface.name))
            }
        }
    }

    /// IPv4 first, default-route interfaces first, smaller networks first, then by address.
    private static func ordered(_ addrs: [IfAddr]) -> [IfAddr] {
        addrs.enumerated().sorted { a, b in
            let x = a.element, y = b.element
            if x.isIPv4 != y.isIPv4 { return x.isIPv4 }
            if x.isDefault != y.isDefault { return x.isDefault }
            if x.prefixLength != y.prefixLength { return x.prefixLength > y.prefixLength }
            if x.ip != y.ip { return x.ip.lexicographicallyPrecedes(y.ip) }
            return a.offset < b.offset
        }.map(\.element)
    }

    private static func privateInterfaces(_ facts: NetworkFacts) -> [IfAddr] {
        ordered(all(facts).filter { $0.up && $0.isForwardable && $0.isPrivate })
    }

    private static func publicInterfaces(_ facts: NetworkFacts) -> [IfAddr] {
        ordered(all(facts).filter { $0.up && $0.isForwardable && !$0.isPrivate })
    }

    private static func named(_ pattern: String, _ facts: NetworkFacts) -> [IfAddr] {
        all(facts).filter { nameMatches($0.interface, pattern) }
    }

    /// Interface names match exactly, or by `^`/`$`-anchored or plain substring (the regular
    /// expressions operators write for names).
    private static func nameMatches(_ name: String, _ pattern: String) -> Bool {
        var p = Substring(pattern)
        let anchoredStart = p.hasPrefix("^"), anchoredEnd = p.hasSuffix("$")
        if anchoredStart { p = p.dropFirst() }
        if anchoredEnd { p = p.dropLast() }
        if anchoredStart && anchoredEnd { return name == p }
        if anchoredStart { return name.hasPrefix(p) }
        if anchoredEnd { return name.hasSuffix(p) }
        return name.contains(p)
    }

    private static func apply(_ stage: [String], to input: Value?, _ facts: NetworkFacts) throws(ConfigError) -> Value {
        let name = stage[0], args = Array(stage.dropFirst())
        func arg(_ i: Int) throws(ConfigError) -> String {
            guard i < args.count else { throw ConfigError("\(name): missing argument") }
            return args[i]
        }
        func list() throws(ConfigError) -> [IfAddr] {
            guard case .addrs(let a) = input else { throw ConfigError("\(name): expects interfaces from the previous stage") }
            return a
        }
        switch name {
        case "GetAllInterfaces": return .addrs(all(facts))
        case "GetDefaultInterfaces": return .addrs(all(facts).filter(\.isDefault))
        case "GetPrivateInterfaces": return .addrs(privateInterfaces(facts))
        case "GetPublicInterfaces": return .addrs(publicInterfaces(facts))
        case "GetPrivateIP": return .text(privateInterfaces(facts).first?.address ?? "")
        case "GetPrivateIPs": return .text(privateInterfaces(facts).map(\.address).joined(separator: " "))
        case "GetPublicIP": return .text(publicInterfaces(facts).first?.address ?? "")
        case "GetPublicIPs": return .text(publicInterfaces(facts).map(\.address).joined(separator: " "))
        case "GetInterfaceIP":
            return .text(ordered(named(try arg(0), facts).filter(\.isForwardable)).first?.address ?? "")
        case "GetInterfaceIPs":
            return .text(ordered(named(try arg(0), facts).filter(\.isForwardable)).map(\.address).joined(separator: " "))
        case "include", "exclude":
            let keep = name == "include"
            let selector = try arg(0), wanted = try arg(1)
            let matching: (IfAddr) throws(ConfigError) -> Bool
            switch selector.lowercased() {
            case "name": matching = { nameMatches($0.interface, wanted) }
            case "type":
                let t = wanted.lowercased()
                guard ["ipv4", "ipv6", "ip"].contains(t) else { throw ConfigError("include: unsupported type \(goQuoted(wanted))") }
                matching = { t == "ip" || (t == "ipv4") == $0.isIPv4 }
            case "network":
                guard let cidr = IPNetwork(wanted) else { throw ConfigError("include: invalid network \(goQuoted(wanted))") }
                matching = { cidr.contains($0.ip) }
            case "flag", "flags":
                let flags = wanted.split(separator: "|").map { $0.lowercased() }
                matching = { a throws(ConfigError) in
                    for f in flags {
                        switch f {
                        case "up": if !a.up { return false }
                        case "down": if a.up { return false }
                        case "loopback": if !a.loopback { return false }
                        case "forwardable": if !a.isForwardable { return false }
                        case "private": if !a.isPrivate { return false }
                        case "public": if a.isPrivate || !a.isForwardable { return false }
                        default: throw ConfigError("include: unsupported flag \(goQuoted(f))")
                        }
                    }
                    return true
                }
            case "rfc":
                guard wanted == "1918" || wanted == "6598" || wanted == "4193" else { throw ConfigError("include: unsupported RFC \(goQuoted(wanted))") }
                matching = { a in
                    switch wanted {
                    case "1918": return a.isIPv4 && (a.ip[0] == 10 || (a.ip[0] == 172 && a.ip[1] & 0xF0 == 16) || (a.ip[0] == 192 && a.ip[1] == 168))
                    case "6598": return a.isIPv4 && a.ip[0] == 100 && a.ip[1] & 0xC0 == 64
                    default: return !a.isIPv4 && a.ip[0] & 0xFE == 0xFC
                    }
                }
            default: throw ConfigError("\(name): unsupported selector \(goQuoted(selector))")
            }
            var out: [IfAddr] = []
            for a in try list() where try matching(a) == keep { out.append(a) }
            return .addrs(out)
        case "sort":
            let keys = try arg(0).split(separator: ",").map { $0.filter { $0 != " " } }
            var out = try list()
            for key in keys.reversed() {
                let descending = key.hasPrefix("-")
                let k = key.drop { $0 == "+" || $0 == "-" }
                let before: (IfAddr, IfAddr) -> Bool
                switch k {
                case "address": before = { $0.ip.count != $1.ip.count ? $0.ip.count < $1.ip.count : $0.ip.lexicographicallyPrecedes($1.ip) }
                case "name": before = { $0.interface < $1.interface }
                case "default": before = { $0.isDefault && !$1.isDefault }
                case "private": before = { $0.isPrivate && !$1.isPrivate }
                case "size": before = { $0.prefixLength > $1.prefixLength }
                case "type": before = { $0.isIPv4 && !$1.isIPv4 }
                default: throw ConfigError("sort: unsupported key \(goQuoted(String(k)))")
                }
                out = out.enumerated().sorted { a, b in
                    let (x, y) = descending ? (b.element, a.element) : (a.element, b.element)
                    if before(x, y) { return true }
                    if before(y, x) { return false }
                    return a.offset < b.offset
                }.map(\.element)
            }
            return .addrs(out)
        case "limit":
            guard let n = Int(try arg(0)), n >= 0 else { throw ConfigError("limit: invalid count") }
            return .addrs(Array(try list().prefix(n)))
        case "offset":
            guard let n = Int(try arg(0)) else { throw ConfigError("offset: invalid count") }
            let a = try list()
            return .addrs(n >= 0 ? Array(a.dropFirst(n)) : Array(a.suffix(-n)))
        case "attr":
            let a = try list()
            return .text(try a.first.map { x throws(ConfigError) in try attribute(try arg(0), x) } ?? "")
        case "join":
            let sep = try arg(1)
            var parts: [String] = []
            for a in try list() { parts.append(try attribute(try arg(0), a)) }
            return .text(parts.joined(separator: sep))
        default:
            throw ConfigError("function \(goQuoted(name)) not defined")
        }
    }

    private static func attribute(_ name: String, _ a: IfAddr) throws(ConfigError) -> String {
        switch name {
        case "address": return a.address
        case "name": return a.interface
        case "network": return a.network
        case "size": return String(a.prefixLength)
        default: throw ConfigError("attr: unsupported attribute \(goQuoted(name))")
        }
    }
}
