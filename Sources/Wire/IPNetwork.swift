/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
public struct IPNetwork: Equatable, Sendable {
    public let network: IPBytes
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let ip = IPText.bytes(String(parts[0])), let length = Int(parts[1]),
              length >= 0, length <= ip.count * 8 else { return nil }
        network = ip
        prefixLength = length
    }

    /// Whether `ip` (4 or 16 bytes; IPv4-mapped IPv6 counts as IPv4) lies in the network.
    public func contains(_ ip: IPBytes) -> Bool {
        var ip = ip
        if ip.count == 16 && network.count == 4 && ip[0..<10].allSatisfy({ $0 == 0 }) && ip[10] == 0xFF && ip[11] == 0xFF {
            ip = Array(ip[12...])
        }
        guard ip.count == network.count else { return false }
        var bits = prefixLength
        for i in 0..<ip.count where bits > 0 {
            let take = min(8, bits)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if ip[i] & mask != network[i] & mask { return false }
            bits -= take
        }
        return true
    }

    public func contains(_ text: String) -> Bool {
        guard let ip = IPText.bytes(text) else { return false }
        return contains(ip)
    }
}
