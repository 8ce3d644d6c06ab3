import ConsulAPI

/// `<name-or-id>.query[.<dc>].<domain>` and `_<name>._<proto>.query…` (agent.md §1.2): the
/// prepared query's instances, answered like a service lookup with the query's `DNS.TTL`.
extension ConsulDNSResponder {
    func preparedQuery<R: RandomNumberGenerator>(_ parts: ArraySlice<Substring>, dc: String, _ q: DNSQuestion,
                                                 now: Int64, zone: String, random: inout R) -> Answer {
        guard let name = Self.preparedQueryName(parts) else { return nxdomain(now, zone) }
        guard let result = lookup.preparedQuery(name, datacenter: dc) else { return nxdomain(now, zone) }
        // The query already dropped unhealthy instances by its own rules (IgnoreCheckIDs, OnlyPassing).
        var insts = result.instances
        guard !insts.isEmpty else { return nxdomain(now, zone) }
        insts.shuffle(using: &random)
        return serviceAnswer(insts, ttl: result.ttl ?? config.ttl(forService: result.service), dc: dc, q, now: now, zone: zone)
    }
}

extension ConsulDNSResponder {
    /// The prepared query a name's labels before `.query` name (the RFC 2782 form's protocol
    /// label is ignored).
    static func preparedQueryName(_ parts: ArraySlice<Substring>) -> String? {
        guard let p0 = parts.first else { return nil }
        return parts.count == 2 && p0.hasPrefix("_") && parts[parts.startIndex + 1].hasPrefix("_")
            ? String(p0.dropFirst()) : parts.joined(separator: ".")
    }

    /// The prepared query a raw query asks for in our own datacenter (`<name>.query[.<dc>].<domain>`),
    /// or nil for any other query.
    public func preparedQueryName(packet: [UInt8]) -> String? {
        guard let query = Self.standardQuery(packet) else { return nil }
        let qname = Self.canonical(query.questions[0].name)
        guard let zone = self.zone(of: qname), qname.utf8.count > zone.utf8.count else { return nil }
        let labels = qname.dropLast(zone.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        guard let (kind, parts, suffix) = Self.splitAtKind(labels, type: query.questions[0].type), kind == "query",
              suffix.count <= 1, let named = Self.datacenter(in: suffix),
              (named ?? lookup.datacenter).lowercased() == lookup.datacenter.lowercased() else { return nil }
        return Self.preparedQueryName(parts)
    }
}

/// The answer of a prepared query that failed over to another datacenter, served through the
/// same responder code as local answers.
public struct FailedOverQueryLookup: DNSLookup {
    let base: any DNSLookup
    let name: String
    let result: (instances: [ServiceInstance], service: String, ttl: UInt32?)

    public init(base: any DNSLookup, name: String, result: (instances: [ServiceInstance], service: String, ttl: UInt32?)) {
        self.base = base
        self.name = name
        self.result = result
    }

    public var datacenter: String { base.datacenter }
    public func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance] {
        base.serviceHealth(name: name, tag: tag, datacenter: datacenter)
    }
    public func node(name: String, datacenter: String) -> CatalogNode? { base.node(name: name, datacenter: datacenter) }
    public func nodes(datacenter: String) -> [CatalogNode] { base.nodes(datacenter: datacenter) }
    public func preparedQuery(_ idOrName: String, datacenter: String) -> (instances: [ServiceInstance], service: String, ttl: UInt32?)? {
        idOrName == name ? result : base.preparedQuery(idOrName, datacenter: datacenter)
    }
}
