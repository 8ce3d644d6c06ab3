import ConsulAPI
import Platform
import Wire

/// How Consul picks addresses from the host's interfaces (its `ipaddr` package): the private
/// IPv4 addresses (RFC 1918 and RFC 6598's shared space) or public IPv6 addresses of the
/// interfaces that are up — loopback ones only when nothing else is up.
public enum AddressDetection {
    /// Addresses of up interfaces, loopback only when no other interface is up (Consul's rule).
    static func activeAddresses(_ facts: NetworkFacts) -> [IPBytes] {
        var up: [IPBytes] = [], loopback: [IPBytes] = []
        for iface in facts.interfaces where iface.isUp {
            let bytes = iface.addresses.compactMap { IPText.bytes($0.ip) }
            if iface.isLoopback { loopback += bytes } else { up += bytes }
        }
        return up.isEmpty ? loopback : up
    }

    public static func privateIPv4(_ facts: NetworkFacts) -> [String] {
        activeAddresses(facts).filter { $0.count == 4 && isPrivateIPv4($0) }.compactMap(IPText.text)
    }

    public static func publicIPv6(_ facts: NetworkFacts) -> [String] {
        activeAddresses(facts).filter { $0.count == 16 && !isIPv4Mapped($0) && isPublicIPv6($0) }.compactMap(IPText.text)
    }

    /// 10/8, 100.64/10, 172.16/12, 192.168/16.
    static func isPrivateIPv4(_ ip: IPBytes) -> Bool {
        ip[0] == 10 || (ip[0] == 100 && ip[1] & 0xC0 == 64) || (ip[0] == 172 && ip[1] & 0xF0 == 16) || (ip[0] == 192 && ip[1] == 168)
    }

    /// Not unique-local (fc00::/7), link-local (fe80::/10), loopback, unspecified or multicast.
    static func isPublicIPv6(_ ip: IPBytes) -> Bool {
        if ip[0] & 0xFE == 0xFC { return false }
        if ip[0] == 0xFE && ip[1] & 0xC0 == 0x80 { return false }
        if ip[0] == 0xFF { return false }
        if ip[0..<15].allSatisfy({ $0 == 0 }) { return false }
        return true
    }

    static func isIPv4Mapped(_ ip: IPBytes) -> Bool {
        ip.count == 16 && ip[0..<10].allSatisfy { $0 == 0 } && ip[10] == 0xFF && ip[11] == 0xFF
    }

    /// The advertise address for an ANY bind (`0.0.0.0` → the one private IPv4, `::` → the one
    /// public IPv6), with Consul's errors when there is none or more than one.
    public static func advertiseForAny(bind: String, facts: NetworkFacts) throws(ConfigError) -> String {
        let v6 = bind.contains(":")
        let kind = v6 ? "public IPv6" : "private IPv4"
        let found = v6 ? publicIPv6(facts) : privateIPv4(facts)
        if found.isEmpty { throw ConfigError("No \(kind) address found") }
        if found.count > 1 { throw ConfigError("Multiple \(kind) addresses found. Please configure one with 'bind' and/or 'advertise'.") }
        return found[0]
    }
}
