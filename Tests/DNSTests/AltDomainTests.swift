import TestSupport
import Testing
import ConsulAPI
@testable import DNS
import Wire

/// `alt_domain` (agent.md §1.1): both zones are answered, and every name the responder builds
/// (SRV targets, NS, SOA) is in the zone the question used; PTR answers use the primary domain.
@Suite struct AltDomainTests {
    let lookup = FakeLookup(
        services: [
            mkInstance("web", node: "n1", addr: "10.0.0.1", port: 80),
            mkInstance("api", node: "n2", addr: "10.0.0.2", port: 9000, svcAddr: "192.168.1.9"),
            mkInstance("consul", node: "s1", addr: "10.0.9.1", port: 8300),
        ],
        catalogNodes: [mkNode("n1", "10.0.0.1")])
    var r: ConsulDNSResponder {
        var c = DNSConfig()
        c.altDomain = "Alt.Example"   // normalized to lower-case FQDN
        return ConsulDNSResponder(config: c, lookup: lookup)
    }

    /// A, SRV and node lookups work in the alternate zone, with targets in that zone.
    @Test func answersInTheZoneTheQuestionUsed() {
        #expect(aAddrs(ask(r, "web.service.alt.example.", .a)) == [[10, 0, 0, 1]])
        #expect(srvs(ask(r, "web.service.alt.example.", .srv)).map(\.target) == ["n1.node.dc1.alt.example."])
        #expect(srvs(ask(r, "web.service.consul.", .srv)).map(\.target) == ["n1.node.dc1.consul."])
        let api = ask(r, "_api._tcp.service.dc1.alt.example.", .srv)
        #expect(srvs(api).map(\.target) == ["c0a80109.addr.dc1.alt.example."])
        #expect(api.additional.map(\.name) == ["c0a80109.addr.dc1.alt.example."])
        #expect(aAddrs(ask(r, "n1.node.ALT.example.", .a)) == [[10, 0, 0, 1]])
    }

    /// NXDOMAIN and NODATA carry the SOA of the zone asked about; NS/SOA queries name that zone.
    @Test func soaAndNSFollowTheZone() {
        let nx = ask(r, "nope.service.alt.example.", .a, now: 7)
        #expect(nx.header.rcode == .nxDomain)
        #expect(nx.authority == [DNSRecord(name: "alt.example.", ttl: 0, data: .soa(
            mname: "ns.alt.example.", rname: "hostmaster.alt.example.", serial: 7, refresh: 3600, retry: 600,
            expire: 86400, minimum: 0))])
        let ns = ask(r, "alt.example.", .ns)
        #expect(ns.answers == [DNSRecord(name: "alt.example.", ttl: 0, data: .ns("s1.node.dc1.alt.example."))])
        #expect(ns.additional.map(\.name) == ["s1.node.dc1.alt.example."])
        let soa = ask(r, "alt.example.", .soa)
        #expect(soa.answers.first?.name == "alt.example." && soa.authority.first?.type == .ns)
        #expect(ask(r, "web.service.consul.", .aaaa).authority.first?.name == "consul.")
    }

    /// PTR names the primary domain whatever alt_domain is; names in neither zone are REFUSED.
    @Test func ptrUsesPrimaryDomainAndOtherZonesAreRefused() {
        let p = ask(r, "1.0.0.10.in-addr.arpa.", .ptr)
        #expect(p.answers.map(\.data) == [.ptr("n1.node.dc1.consul.")])
        #expect(ask(r, "web.service.example.", .a).header.rcode == .refused)
        #expect(ask(r, "web.service.xalt.example.", .a).header.rcode == .refused)
    }

    /// With recursors, names in alt_domain are still answered locally, not forwarded.
    @Test func altDomainIsNotForwarded() {
        var c = r.config
        c.recursorsConfigured = true
        let withRecursors = ConsulDNSResponder(config: c, lookup: lookup)
        var rng = SplitMix64(seed: 1)
        #expect(withRecursors.handle(packet: queryBytes("web.service.alt.example.", .a), overTCP: false, now: 0,
                                     random: &rng) != .forward)
        #expect(withRecursors.handle(packet: queryBytes("www.example.", .a), overTCP: false, now: 0,
                                     random: &rng) == .forward)
    }

    /// When one zone is inside the other, the longer (more specific) zone wins.
    @Test func nestedZonesPreferTheLongerOne() {
        var c = DNSConfig()
        c.altDomain = "dc.consul."
        let nested = ConsulDNSResponder(config: c, lookup: lookup)
        #expect(srvs(ask(nested, "web.service.dc.consul.", .srv)).map(\.target) == ["n1.node.dc1.dc.consul."])
        #expect(srvs(ask(nested, "web.service.consul.", .srv)).map(\.target) == ["n1.node.dc1.consul."])
    }
}
