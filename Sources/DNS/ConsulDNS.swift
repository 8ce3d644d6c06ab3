// Consul's DNS name grammar and answers (reference/agent.md §1), over a lookup protocol.
// Pure: no I/O, no clock (the caller passes `now`), no ambient randomness (caller's RNG).
import ConsulAPI

/// `dns_config` and friends, as the responder needs them.
public struct DNSConfig: Equatable, Sendable {
    /// Lower-case FQDN, e.g. "consul.".
    public var domain = "consul."
    /// A second zone answered exactly like `domain` ("" = none); answers use whichever zone the
    /// question used (SRV targets, NS, SOA), except PTR answers, which use `domain`.
    public var altDomain = ""
    public var nodeTTL: UInt32 = 0
    /// Service name → TTL seconds; exact name beats `prefix*` (longest prefix) beats `*`.
    public var serviceTTL: [String: UInt32] = [:]
    public var onlyPassing = false
    public var udpAnswerLimit = 3
    /// 0 = unlimited; applies to A/AAAA/ANY/TXT service answers, not SRV.
    public var aRecordLimit = 0
    /// Consul's default is false: trimming is silent. When true, TC is set whenever answers
    /// were trimmed (count cap or size).
    public var enableTruncate = false
    public var enableAdditionalNodeMetaTXT = true
    /// RA flag; the responder itself never recurses (out-of-zone → REFUSED).
    public var recursorsConfigured = false
    public var soaRefresh: UInt32 = 3600
    public var soaRetry: UInt32 = 600
    public var soaExpire: UInt32 = 86400
    public var soaMinTTL: UInt32 = 0
    public var disableCompression = false
    public init() {}

    func ttl(forService name: String) -> UInt32 {
        if let t = serviceTTL[name] { return t }
        var best: (Int, UInt32)?
        for (k, v) in serviceTTL where k.count > 1 && k.hasSuffix("*") {
            let p = String(k.dropLast())
            if name.hasPrefix(p), p.count > (best?.0 ?? -1) { best = (p.count, v) }
        }
        if let b = best { return b.1 }
        return serviceTTL["*"] ?? 0
    }
}

/// One service instance with its node and the statuses of all its checks (node + service).
public struct ServiceInstance: Equatable, Sendable {
    public var node: CatalogNode
    public var service: NodeService
    public var checkStatuses: [String]
    public init(node: CatalogNode, service: NodeService, checkStatuses: [String]) {
        self.node = node; self.service = service; self.checkStatuses = checkStatuses
    }
    public init(node: CatalogNode, service: NodeService, checks: [HealthCheck]) {
        self.init(node: node, service: service, checkStatuses: checks.map(\.status))
    }
    public var aggregateStatus: String { HealthStatus.aggregate(checkStatuses) }
}

/// What the responder needs from the catalog. Name matching should be case-insensitive.
public protocol DNSLookup {
    /// The local datacenter.
    var datacenter: String { get }
    /// All instances of `name` in `datacenter` (unfiltered by health; the responder filters
    /// by health and, case-insensitively, by `tag` too). Unknown service or DC → [].
    func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance]
    /// A node by name, or nil.
    func node(name: String, datacenter: String) -> CatalogNode?
    /// All nodes (for PTR).
    func nodes(datacenter: String) -> [CatalogNode]
    /// Executes the prepared query `idOrName`: its instances (already filtered by the query's
    /// rules), its service name and its `DNS.TTL` in seconds if set; nil when no query matches.
    func preparedQuery(_ idOrName: String, datacenter: String) -> (instances: [ServiceInstance], service: String, ttl: UInt32?)?
}


public struct ConsulDNSResponder {
    public var config: DNSConfig
    public var lookup: any DNSLookup

    public init(config: DNSConfig = DNSConfig(), lookup: any DNSLookup) {
        var c = config
        c.domain = ConsulDNSResponder.normalizeDomain(c.domain)
        if !c.altDomain.isEmpty { c.altDomain = ConsulDNSResponder.normalizeDomain(c.altDomain) }
        self.config = c
        self.lookup = lookup
    }

    static func normalizeDomain(_ d: String) -> String {
        var s = d.lowercased()
        while s.hasPrefix(".") { s.removeFirst() }
        if !s.hasSuffix(".") { s += "." }
        return s
    }

    /// Answer one wire-format query. Returns nil when nothing should be sent (fewer than 12
    /// bytes, or the packet is itself a response). Over TCP the caller adds the 2-byte length.
    public func respond<R: RandomNumberGenerator>(to packet: [UInt8], overTCP: Bool, now: Int64,
                                                  random: inout R) -> [UInt8]? {
        guard packet.count >= 12, packet[2] & 0x80 == 0 else { return nil }
        let query: DNSMessage
        do {
            query = try DNSParser.parse(packet)
        } catch {
            var h = DNSHeader(id: UInt16(packet[0]) << 8 | UInt16(packet[1]),
                              flags: UInt16(packet[2]) << 8 | UInt16(packet[3]))
            var m = DNSMessage()
            h.qr = true; h.aa = false; h.tc = false; h.ra = config.recursorsConfigured
            h.rcode = .formErr
            m.header = h
            return DNSWriter.serialize(m)
        }
        return answerAndBytes(query, overTCP: overTCP, now: now, random: &random).bytes
    }

    /// What to do with one query when recursors may be configured.
    public enum Disposition: Equatable {
        /// Send these bytes (nil: send nothing).
        case answer([UInt8]?)
        /// The name is outside the domain (or a PTR name no node has) and recursors are
        /// configured: hand the query to a recursor.
        case forward
    }

    /// Like `respond(to:overTCP:now:random:)`, but names the agent does not own go to the
    /// recursors when `config.recursorsConfigured` (Consul's `handleRecurse` and PTR fallback).
    public func handle<R: RandomNumberGenerator>(packet: [UInt8], overTCP: Bool, now: Int64,
                                                 random: inout R) -> Disposition {
        guard config.recursorsConfigured else {
            return .answer(respond(to: packet, overTCP: overTCP, now: now, random: &random))
        }
        guard let query = Self.standardQuery(packet)
        else { return .answer(respond(to: packet, overTCP: overTCP, now: now, random: &random)) }
        let qname = Self.canonical(query.questions[0].name)
        let inDomain = zone(of: qname) != nil
        let arpa = qname.hasSuffix(".in-addr.arpa.") || qname.hasSuffix(".ip6.arpa.")
        if !inDomain && !arpa { return .forward }
        let (resp, bytes) = answerAndBytes(query, overTCP: overTCP, now: now, random: &random)
        if arpa && !inDomain && resp.header.rcode == .nxDomain { return .forward }
        return .answer(bytes)
    }

    /// Lower-case FQDN; allocates only when the name has upper-case letters or no final dot.
    static func canonical(_ name: String) -> String {
        var s = name.utf8.contains { $0 >= 65 && $0 <= 90 } ? name.lowercased() : name
        if !s.hasSuffix(".") { s += "." }
        return s
    }

    /// SERVFAIL (RA set) echoing the query's ID, flags and question: every recursor failed.
    public static func servFail(for packet: [UInt8]) -> [UInt8]? {
        guard packet.count >= 12 else { return nil }
        var m = DNSMessage()
        if let q = try? DNSParser.parse(packet) {
            m.header = q.header
            m.questions = q.questions
        } else {
            m.header = DNSHeader(id: UInt16(packet[0]) << 8 | UInt16(packet[1]),
                                 flags: UInt16(packet[2]) << 8 | UInt16(packet[3]))
        }
        m.header.qr = true; m.header.aa = false; m.header.tc = false; m.header.ra = true
        m.header.rcode = .servFail
        return DNSWriter.serialize(m)
    }

    /// Answer a parsed query (exposed for tests and for in-process use).
    public func respond<R: RandomNumberGenerator>(to query: DNSMessage, overTCP: Bool, now: Int64,
                                                  random: inout R) -> DNSMessage {
        answerAndBytes(query, overTCP: overTCP, now: now, random: &random).message
    }

    /// The answer and its wire form (serialized once, by the size trimming that needs it anyway).
    func answerAndBytes<R: RandomNumberGenerator>(_ query: DNSMessage, overTCP: Bool, now: Int64,
                                                  random: inout R) -> (message: DNSMessage, bytes: [UInt8]) {
        var m = DNSMessage()
        m.header.id = query.header.id
        m.header.qr = true
        m.header.opcode = query.header.opcode
        m.header.rd = query.header.rd
        m.header.ra = config.recursorsConfigured
        m.header.aa = true
        m.questions = query.questions
        if let e = query.edns { m.edns = DNSEDNS(udpPayloadSize: e.udpPayloadSize) }
        guard query.header.opcode == 0, query.questions.count == 1 else {
            m.header.rcode = query.header.opcode == 0 ? .formErr : .notImp
            m.header.aa = false
            return (m, DNSWriter.serialize(m, compress: !config.disableCompression))
        }
        let q = query.questions[0]

        let a = answer(q, now: now, random: &random)
        m.header.rcode = a.rcode
        if a.rcode == .refused { m.header.aa = false }
        m.answers = a.answers
        m.authority = a.authority
        m.additional = a.additional
        let bytes = trim(&m, overTCP: overTCP, ednsSize: query.edns?.udpPayloadSize)
        return (m, bytes)
    }

    // MARK: - Answers

    struct Answer {
        var rcode: DNSRCode = .noError
        var answers: [DNSRecord] = []
        var authority: [DNSRecord] = []
        var additional: [DNSRecord] = []
    }

    /// The zone `qname` (lower-case, with trailing dot) is in: the longer of `domain` and
    /// `altDomain` that contains it, or nil.
    func zone(of qname: String) -> String? {
        let d = config.domain, alt = config.altDomain
        let inD = Self.name(qname, isIn: d)
        let inAlt = !alt.isEmpty && Self.name(qname, isIn: alt)
        if inD && inAlt { return alt.utf8.count > d.utf8.count ? alt : d }
        return inD ? d : inAlt ? alt : nil
    }

    /// `name == zone` or `name` ends with "." + zone (both lower-case FQDNs); no allocation.
    static func name(_ name: String, isIn zone: String) -> Bool {
        let n = name.utf8, z = zone.utf8
        guard n.count >= z.count, n.reversed().starts(with: z.reversed()) else { return false }
        if n.count == z.count { return true }
        return n[n.index(n.endIndex, offsetBy: -(z.count + 1))] == UInt8(ascii: ".")
    }

    func soa(_ now: Int64, zone: String) -> DNSRecord {
        let d = zone
        return DNSRecord(name: d, ttl: config.soaMinTTL,
                         data: .soa(mname: "ns." + d, rname: "hostmaster." + d,
                                    serial: UInt32(truncatingIfNeeded: now), refresh: config.soaRefresh,
                                    retry: config.soaRetry, expire: config.soaExpire,
                                    minimum: config.soaMinTTL))
    }
    func nxdomain(_ now: Int64, _ zone: String) -> Answer { Answer(rcode: .nxDomain, authority: [soa(now, zone: zone)]) }
    func nodata(_ now: Int64, _ zone: String) -> Answer { Answer(rcode: .noError, authority: [soa(now, zone: zone)]) }

    /// A label naming a query kind (agent.md §1.2). A switch, not a Set<String>: no String to build.
    static func isKind(_ label: Substring) -> Bool {
        switch label {
        case "service", "connect", "virtual", "ingress", "node", "query", "addr": return true
        default: return false
        }
    }

    func answer<R: RandomNumberGenerator>(_ q: DNSQuestion, now: Int64, random: inout R) -> Answer {
        let qname = Self.canonical(q.name)
        let labels: [Substring]
        let zone: String
        if let z = self.zone(of: qname) {
            zone = z
            labels = qname.utf8.count == z.utf8.count ? []
                : qname.dropLast(z.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        } else if qname.hasSuffix(".in-addr.arpa.") || qname.hasSuffix(".ip6.arpa.") {
            return ptr(qname, q, now: now)
        } else {
            return Answer(rcode: .refused)
        }
        switch q.type {
        case .axfr, DNSType(251): return Answer(rcode: .notImp)
        case .soa:
            let (ns, glue) = nameservers(zone: zone, random: &random)
            return Answer(answers: [soa(now, zone: zone)], authority: ns, additional: glue)
        case .ns:
            let (ns, glue) = nameservers(zone: zone, random: &random)
            return Answer(answers: ns, additional: glue)
        default: break
        }
        if labels.contains("") { return nxdomain(now, zone) }

        guard let (kind, parts, suffix) = Self.splitAtKind(labels, type: q.type) else { return nxdomain(now, zone) }
        if kind == "addr" { return addr(parts, q, now: now, zone: zone) }
        guard let named = Self.datacenter(in: suffix) else { return nxdomain(now, zone) }   // peers, ports, partitions: unsupported
        let dc = named ?? lookup.datacenter

        switch kind {
        case "service":
            guard !parts.isEmpty else { return nxdomain(now, zone) }
            let name: String, tag: String?
            let p0 = parts[parts.startIndex]
            if parts.count == 2, p0.hasPrefix("_"), parts[parts.startIndex + 1].hasPrefix("_") {
                let p1 = parts[parts.startIndex + 1]
                name = String(p0.dropFirst())
                tag = p1 == "_tcp" ? nil : String(p1.dropFirst())
            } else {
                name = String(parts[parts.endIndex - 1])
                tag = parts.count > 1 ? parts.dropLast().joined(separator: ".") : nil
            }
            guard !name.isEmpty, tag != "" else { return nxdomain(now, zone) }
            return service(name: name, tag: tag, dc: dc, q, now: now, zone: zone, random: &random)
        case "node":
            guard !parts.isEmpty else { return nxdomain(now, zone) }
            return node(parts.joined(separator: "."), dc: dc, q, now: now, zone: zone)
        case "query":
            guard suffix.count <= 1 else { return nxdomain(now, zone) }
            return preparedQuery(parts, dc: dc, q, now: now, zone: zone, random: &random)
        default:
            return nxdomain(now, zone)   // connect, ingress, virtual: not implemented
        }
    }

    /// One SRV answer per unique (node, address, port).
    struct SRVKey: Hashable {
        var node: String
        var address: String
        var port: Int
    }

    /// Concatenation into one buffer sized up front (one allocation, not one per `+`).
    static func join(_ parts: String...) -> String {
        var s = ""
        s.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
        for p in parts { s += p }
        return s
    }

    func healthy(_ i: ServiceInstance) -> Bool {
        for s in i.checkStatuses {
            if s == HealthStatus.critical || s == HealthStatus.maintenance { return false }
            if config.onlyPassing && s != HealthStatus.passing { return false }
        }
        return true
    }

    func service<R: RandomNumberGenerator>(name: String, tag: String?, dc: String, _ q: DNSQuestion,
                                           now: Int64, zone: String, random: inout R) -> Answer {
        var insts = lookup.serviceHealth(name: name, tag: tag, datacenter: dc).filter(healthy)
        if let tag {
            let t = tag.lowercased()
            insts = insts.filter { $0.service.tags.contains { $0.lowercased() == t } }
        }
        guard !insts.isEmpty else { return nxdomain(now, zone) }
        insts.shuffle(using: &random)
        return serviceAnswer(insts, ttl: config.ttl(forService: name), dc: dc, q, now: now, zone: zone)
    }

    /// A/AAAA/SRV answers for healthy, shuffled instances.
    func serviceAnswer(_ insts: [ServiceInstance], ttl: UInt32, dc: String, _ q: DNSQuestion, now: Int64, zone: String) -> Answer {
        let domain = zone

        switch q.type {
        case .a, .aaaa, .any, .txt:
            var recs: [DNSRecord] = []
            recs.reserveCapacity(insts.count)
            var cname: DNSRecord?
            for i in insts {
                let addr = i.service.address.isEmpty ? i.node.address : i.service.address
                if let v4 = IP.parseV4(addr) {
                    if q.type != .aaaa { recs.append(DNSRecord(name: q.name, ttl: ttl, data: .a(v4))) }
                } else if let v6 = IP.parseV6(addr) {
                    if q.type != .a { recs.append(DNSRecord(name: q.name, ttl: ttl, data: .aaaa(v6))) }
                } else if cname == nil, q.type != .txt, !addr.isEmpty {
                    cname = DNSRecord(name: q.name, ttl: ttl, data: .cname(fqdn(addr)))
                }
            }
            if recs.isEmpty, let c = cname { recs = [c] }
            if config.aRecordLimit > 0 && recs.count > config.aRecordLimit {
                recs = Array(recs.prefix(config.aRecordLimit))
            }
            if recs.isEmpty { return nodata(now, zone) }
            return Answer(answers: recs)
        case .srv:
            var out = Answer()
            out.answers.reserveCapacity(insts.count)
            out.additional.reserveCapacity(insts.count)
            var seen = Set<SRVKey>(minimumCapacity: insts.count)
            var glueSeen = Set<String>(minimumCapacity: insts.count)
            for i in insts {
                let svcAddr = i.service.address
                let addr = svcAddr.isEmpty ? i.node.address : svcAddr
                guard seen.insert(SRVKey(node: i.node.node, address: addr, port: i.service.port)).inserted else { continue }
                let idc = i.node.datacenter.isEmpty ? dc : i.node.datacenter
                let ip4 = IP.parseV4(addr), ip6 = ip4 == nil ? IP.parseV6(addr) : nil
                let target: String
                if ip4 == nil && ip6 == nil {
                    target = fqdn(addr)
                } else if svcAddr.isEmpty {
                    target = Self.join(i.node.node, ".node.", idc, ".", domain)
                } else {
                    target = Self.join(IP.hex(ip4 ?? ip6!), ".addr.", idc, ".", domain)
                }
                let weight: Int
                switch i.aggregateStatus {
                case HealthStatus.passing: weight = i.service.weightsPassing
                case HealthStatus.warning: weight = i.service.weightsWarning
                default: weight = 1
                }
                out.answers.append(DNSRecord(name: q.name, ttl: ttl, data: .srv(
                    priority: 1, weight: UInt16(clamping: weight), port: UInt16(clamping: i.service.port),
                    target: target)))
                if glueSeen.insert(Self.canonical(target)).inserted {
                    if let v4 = ip4 { out.additional.append(DNSRecord(name: target, ttl: ttl, data: .a(v4))) }
                    if let v6 = ip6 { out.additional.append(DNSRecord(name: target, ttl: ttl, data: .aaaa(v6))) }
                }
            }
            return out
        default:
            return nodata(now, zone)
        }
    }

    func node(_ name: String, dc: String, _ q: DNSQuestion, now: Int64, zone: String) -> Answer {
        guard let n = lookup.node(name: name, datacenter: dc) else { return nxdomain(now, zone) }
        let ttl = config.nodeTTL
        var out = Answer()
        switch q.type {
        case .a, .aaaa, .any:
            if let v4 = IP.parseV4(n.address) {
                if q.type != .aaaa { out.answers.append(DNSRecord(name: q.name, ttl: ttl, data: .a(v4))) }
            } else if let v6 = IP.parseV6(n.address) {
                if q.type != .a { out.answers.append(DNSRecord(name: q.name, ttl: ttl, data: .aaaa(v6))) }
            } else if !n.address.isEmpty {
                out.answers.append(DNSRecord(name: q.name, ttl: ttl, data: .cname(fqdn(n.address))))
            }
            let meta = metaTXT(n, owner: q.name, ttl: ttl)
            if q.type == .any {
                out.answers += meta
            } else {
                if out.answers.isEmpty { return nodata(now, zone) }
                if config.enableAdditionalNodeMetaTXT { out.additional = meta }
            }
            return out
        case .txt:
            out.answers = metaTXT(n, owner: q.name, ttl: ttl)
            if out.answers.isEmpty { return nodata(now, zone) }
            return out
        default:
            return out   // NOERROR, empty, no SOA (Consul quirk)
        }
    }

    func addr(_ parts: ArraySlice<Substring>, _ q: DNSQuestion, now: Int64, zone: String) -> Answer {
        guard parts.count == 1, let bytes = IP.fromHex(parts[parts.startIndex]) else { return nxdomain(now, zone) }
        let rec = DNSRecord(name: q.name, ttl: config.nodeTTL, data: bytes.count == 4 ? .a(bytes) : .aaaa(bytes))
        if q.type == .any || (q.type == .a && bytes.count == 4) || (q.type == .aaaa && bytes.count == 16) {
            return Answer(answers: [rec])
        }
        return nodata(now, zone)
    }

    func ptr(_ qname: String, _ q: DNSQuestion, now: Int64) -> Answer {
        var want: [UInt8]?
        if qname.hasSuffix(".in-addr.arpa.") {
            let ls = qname.dropLast(".in-addr.arpa.".count).split(separator: ".")
            if ls.count == 4 { want = IP.parseV4(ls.reversed().joined(separator: ".")) }
        } else {
            let ls = qname.dropLast(".ip6.arpa.".count).split(separator: ".")
            if ls.count == 32, ls.allSatisfy({ $0.count == 1 }) { want = IP.fromHex(ls.reversed().joined()) }
        }
        guard let want, q.type == .ptr || q.type == .any else { return nxdomain(now, config.domain) }
        let dc = lookup.datacenter
        for n in lookup.nodes(datacenter: dc) {
            let b = IP.parseV4(n.address) ?? IP.parseV6(n.address)
            if b == want {
                let t = n.node + ".node." + (n.datacenter.isEmpty ? dc : n.datacenter) + "." + config.domain
                return Answer(answers: [DNSRecord(name: q.name, ttl: config.nodeTTL, data: .ptr(t))])
            }
        }
        return nxdomain(now, config.domain)
    }


    static func validDNSName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 63 else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
    }

    func fqdn(_ s: String) -> String { s.hasSuffix(".") ? s : s + "." }


}

extension ConsulDNSResponder {
    /// The query when `packet` is a standard query (opcode 0) with one question, for routing
    /// decisions; nil otherwise. The parse error is not lost: such packets go to `respond`,
    /// which parses them again and answers FORMERR or NOTIMP with the reason.
    static func standardQuery(_ packet: [UInt8]) -> DNSMessage? {
        guard packet.count >= 12, packet[2] & 0x80 == 0 else { return nil }
        let query: DNSMessage
        do { query = try DNSParser.parse(packet) } catch { return nil }
        return query.header.opcode == 0 && query.questions.count == 1 ? query : nil
    }
}
