import ConsulAPI

/// Records about the zone and nodes themselves: the servers as nameservers, and node metadata
/// as TXT records.
extension ConsulDNSResponder {
    func nameservers<R: RandomNumberGenerator>(zone: String, random: inout R) -> ([DNSRecord], [DNSRecord]) {
        let dc = lookup.datacenter
        var servers = lookup.serviceHealth(name: "consul", tag: nil, datacenter: dc).filter(healthy)
        servers.shuffle(using: &random)
        var ns: [DNSRecord] = [], glue: [DNSRecord] = []
        var seen = Set<String>()
        for s in servers where ns.count < 3 {
            let name = s.node.node
            guard Self.validDNSName(name), seen.insert(name.lowercased()).inserted else { continue }
            let target = name + ".node." + (s.node.datacenter.isEmpty ? dc : s.node.datacenter) + "." + zone
            ns.append(DNSRecord(name: zone, ttl: config.nodeTTL, data: .ns(target)))
            if let v4 = IP.parseV4(s.node.address) { glue.append(DNSRecord(name: target, ttl: config.nodeTTL, data: .a(v4))) }
            else if let v6 = IP.parseV6(s.node.address) { glue.append(DNSRecord(name: target, ttl: config.nodeTTL, data: .aaaa(v6))) }
        }
        return (ns, glue)
    }

    /// Node meta as TXT records (RFC 1464 escaping; `rfc1035-` keys give the bare value).
    func metaTXT(_ n: CatalogNode, owner: String, ttl: UInt32) -> [DNSRecord] {
        n.meta.keys.sorted().map { k in
            let v = n.meta[k]!
            let text: String
            if k.lowercased().hasPrefix("rfc1035-") {
                text = v
            } else {
                var key = ""
                let chars = Array(k)
                let firstNonSpace = chars.firstIndex { $0 != " " } ?? chars.count
                let lastNonSpace = chars.lastIndex { $0 != " " } ?? -1
                for (idx, c) in chars.enumerated() {
                    switch c {
                    case "`": key += "``"
                    case "=": key += "`="
                    case " " where idx < firstNonSpace || idx > lastNonSpace: key += "` "
                    default: key.append(c)
                    }
                }
                var val = ""
                for c in v { if c == "`" { val += "``" } else { val.append(c) } }
                text = key + "=" + val
            }
            return DNSRecord(name: owner, ttl: ttl, data: .txt([text]))
        }
    }
}
