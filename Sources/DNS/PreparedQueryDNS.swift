/// `<name-or-id>.query[.<dc>].<domain>` and `_<name>._<proto>.query…` (agent.md §1.2): the
/// prepared query's instances, answered like a service lookup with the query's `DNS.TTL`.
extension ConsulDNSResponder {
    func preparedQuery<R: RandomNumberGenerator>(_ parts: ArraySlice<Substring>, dc: String, _ q: DNSQuestion,
                                                 now: Int64, zone: String, random: inout R) -> Answer {
        guard let p0 = parts.first else { return nxdomain(now, zone) }
        // The RFC 2782 form's protocol label is ignored.
        let name = parts.count == 2 && p0.hasPrefix("_") && parts[parts.startIndex + 1].hasPrefix("_")
            ? String(p0.dropFirst()) : parts.joined(separator: ".")
        guard let result = lookup.preparedQuery(name, datacenter: dc) else { return nxdomain(now, zone) }
        // The query already dropped unhealthy instances by its own rules (IgnoreCheckIDs, OnlyPassing).
        var insts = result.instances
        guard !insts.isEmpty else { return nxdomain(now, zone) }
        insts.shuffle(using: &random)
        return serviceAnswer(insts, ttl: result.ttl ?? config.ttl(forService: result.service), dc: dc, q, now: now, zone: zone)
    }
}
