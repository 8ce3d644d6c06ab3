import Glibc
import Platform

/// The host's interfaces from getifaddrs(3), and the interfaces with a default route from
/// /proc/net/route and /proc/net/ipv6_route. Read at start-up, before the loop runs.
public final class LiveInterfaceFacts: InterfaceFacts {
    public init() {}

    public func networkFacts() -> NetworkFacts {
        NetworkFacts(interfaces: Self.interfaces(), defaultRouteInterfaces: Self.defaultRouteInterfaces())
    }

    static func interfaces() -> [NetworkInterface] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var byName: [String: NetworkInterface] = [:]
        var order: [String] = []
        var cursor = head
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            let name = String(cString: entry.pointee.ifa_name)
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            if byName[name] == nil {
                byName[name] = NetworkInterface(name: name, isUp: flags & Int32(IFF_UP) != 0,
                                                isLoopback: flags & Int32(IFF_LOOPBACK) != 0, addresses: [])
                order.append(name)
            }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            guard let text = Self.text(address), let mask = entry.pointee.ifa_netmask else { continue }
            byName[name]!.addresses.append((text, Self.prefixLength(mask, family: family)))
        }
        return order.map { byName[$0]! }
    }

    private static func text(_ address: UnsafeMutablePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(address.pointee.sa_family)
        let ok: Bool
        if family == AF_INET {
            ok = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)) != nil
            }
        } else {
            ok = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var a = sin6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count)) != nil
            }
        }
        return ok ? String(cString: buffer) : nil
    }

    private static func prefixLength(_ mask: UnsafeMutablePointer<sockaddr>, family: Int32) -> Int {
        if family == AF_INET {
            return mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt32(bigEndian: $0.pointee.sin_addr.s_addr).nonzeroBitCount) }
        }
        return mask.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { m in
            withUnsafeBytes(of: m.pointee.sin6_addr) { $0.reduce(0) { $0 + $1.nonzeroBitCount } }
        }
    }

    /// A routing table, nil when the kernel offers none (no IPv6, no procfs): no default routes.
    private static func procTable(_ path: String) -> [UInt8]? {
        do { return try Files.read(path) } catch { return nil }
    }

    static func defaultRouteInterfaces() -> [String] {
        var names: [String] = []
        // Iface Destination Gateway Flags … Mask …: a default route has destination and mask 0.
        if let table = procTable("/proc/net/route") {
            for line in String(decoding: table, as: UTF8.self).split(separator: "\n").dropFirst() {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if f.count > 7, f[1] == "00000000", f[7] == "00000000", !names.contains(String(f[0])) { names.append(String(f[0])) }
            }
        }
        // dest prefixlen src srcprefix next-hop metric ref use flags iface.
        if let table = procTable("/proc/net/ipv6_route") {
            for line in String(decoding: table, as: UTF8.self).split(separator: "\n") {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                if f.count >= 10, f[0] == String(repeating: "0", count: 32), f[1] == "00", f[9] != "lo",
                   !names.contains(String(f[9])) { names.append(String(f[9])) }
            }
        }
        return names
    }
}
