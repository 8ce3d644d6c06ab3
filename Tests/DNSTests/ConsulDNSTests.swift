import TestSupport
import Testing
import ConsulAPI
@testable import DNS
import Wire

func aAddrs(_ m: DNSMessage) -> [[UInt8]] {
    m.answers.compactMap { if case .a(let b) = $0.data { return b } else { return nil } }
}
func srvs(_ m: DNSMessage) -> [(port: UInt16, target: String, weight: UInt16)] {
    m.answers.compactMap {
        if case .srv(_, let w, let p, let t) = $0.data { return (p, t, w) } else { return nil }
    }
}

@Suite struct ConsulDNSTests {
    var lookup = FakeLookup(
        services: [
            mkInstance("web", node: "n1", addr: "10.0.0.1", port: 80, tags: ["v1", "Primary"]),
            mkInstance("web", node: "n2", addr: "10.0.0.2", port: 81, tags: ["v2"]),
            mkInstance("web", node: "n3", addr: "10.0.0.3", port: 82, statuses: ["passing", "warning"]),
            mkInstance("web", node: "n4", addr: "10.0.0.4", port: 83, statuses: ["passing", "critical"]),
            mkInstance("web", node: "r1", addr: "10.1.0.1", port: 90, dc: "dc2"),
            mkInstance("db", node: "n1", addr: "10.0.0.1", port: 5432, statuses: ["critical"]),
            mkInstance("api", node: "n2", addr: "10.0.0.2", port: 9000, svcAddr: "192.168.1.9"),
            mkInstance("v6", node: "n5", addr: "fd00::5", port: 1),
            mkInstance("ext", node: "n1", addr: "10.0.0.1", port: 443, svcAddr: "example.com"),
            mkInstance("consul", node: "s1", addr: "10.0.9.1", port: 8300),
        ],
        catalogNodes: [mkNode("n1", "10.0.0.1", meta: ["rack": "r1", "rfc1035-x": "raw"]), mkNode("n2", "10.0.0.2"),
                       mkNode("my.dotted", "10.0.0.7"), mkNode("r1", "10.1.0.1", dc: "dc2"),
                       mkNode("n5", "fd00::5")])
    var r: ConsulDNSResponder { ConsulDNSResponder(lookup: lookup) }

    // MARK: service forms

    @Test func serviceAFiltersCriticalAndKeepsWarning() {
        let m = ask(r, "web.service.consul.", .a)
        #expect(m.header.rcode == .noError && m.header.aa && m.header.rd && !m.header.tc)
        #expect(Set(aAddrs(m)) == [[10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3]])
        #expect(m.answers.allSatisfy { $0.name == "web.service.consul." && $0.ttl == 0 })
        #expect(m.authority.isEmpty)
    }

    @Test func onlyPassingDropsWarnings() {
        var c = DNSConfig(); c.onlyPassing = true
        let m = ask(ConsulDNSResponder(config: c, lookup: lookup), "web.service.consul.", .a)
        #expect(Set(aAddrs(m)) == [[10, 0, 0, 1], [10, 0, 0, 2]])
    }

    @Test func allCriticalIsNXDOMAINWithSOA() {
        let m = ask(r, "db.service.consul.", .a, now: 1234)
        #expect(m.header.rcode == .nxDomain && m.answers.isEmpty)
        #expect(m.authority == [DNSRecord(name: "consul.", ttl: 0, data: .soa(
            mname: "ns.consul.", rname: "hostmaster.consul.", serial: 1234, refresh: 3600, retry: 600,
            expire: 86400, minimum: 0))])
    }

    @Test func unknownServiceIsNXDOMAIN() {
        let m = ask(r, "nope.service.consul.", .srv)
        #expect(m.header.rcode == .nxDomain && m.authority.first?.type == .soa)
    }

    @Test func tagFilterIsCaseInsensitive() {
        #expect(aAddrs(ask(r, "v1.web.service.consul.", .a)) == [[10, 0, 0, 1]])
        #expect(aAddrs(ask(r, "primary.web.service.consul.", .a)) == [[10, 0, 0, 1]])
        #expect(ask(r, "v9.web.service.consul.", .a).header.rcode == .nxDomain)
    }

    @Test func datacenterForms() {
        #expect(aAddrs(ask(r, "web.service.dc2.consul.", .a)) == [[10, 1, 0, 1]])
        #expect(aAddrs(ask(r, "web.service.dc2.dc.consul.", .a)) == [[10, 1, 0, 1]])
        #expect(ask(r, "web.service.dc9.consul.", .a).header.rcode == .nxDomain)
        #expect(ask(r, "web.service.x.peer.consul.", .a).header.rcode == .nxDomain)
        let s = srvs(ask(r, "web.service.dc2.consul.", .srv))
        #expect(s.map(\.target) == ["r1.node.dc2.consul."])
    }

    @Test func caseInsensitiveNamesKeepQuestionCase() {
        let m = ask(r, "WEB.Service.CONSUL.", .a)
        #expect(aAddrs(m).count == 3)
        #expect(m.answers.allSatisfy { $0.name == "WEB.Service.CONSUL." })
    }

    @Test func srvAnswersWithGlue() {
        let m = ask(r, "web.service.consul.", .srv)
        let s = srvs(m)
        #expect(Set(s.map(\.target)) == ["n1.node.dc1.consul.", "n2.node.dc1.consul.", "n3.node.dc1.consul."])
        #expect(Set(s.map(\.port)) == [80, 81, 82])
        #expect(m.answers.allSatisfy { if case .srv(1, _, _, _) = $0.data { true } else { false } })
        #expect(Set(m.additional.map(\.name)) == Set(s.map(\.target)))
        #expect(m.additional.allSatisfy { $0.type == .a })
    }

    @Test func srvWeightsFollowHealth() {
        var l = lookup
        l.services = [mkInstance("w", node: "a", addr: "1.1.1.1", statuses: ["passing"]),
                      mkInstance("w", node: "b", addr: "1.1.1.2", statuses: ["warning"])]
        l.services[0].service.weightsPassing = 10
        l.services[1].service.weightsWarning = 3
        let s = srvs(ask(ConsulDNSResponder(lookup: l), "w.service.consul.", .srv))
        #expect(Set(s.map { "\($0.target)\($0.weight)" }) == ["a.node.dc1.consul.10", "b.node.dc1.consul.3"])
    }

    @Test func serviceAddressWinsAndSRVUsesAddrTarget() {
        #expect(aAddrs(ask(r, "api.service.consul.", .a)) == [[192, 168, 1, 9]])
        let m = ask(r, "api.service.consul.", .srv)
        #expect(srvs(m).map(\.target) == ["c0a80109.addr.dc1.consul."])
        #expect(m.additional == [DNSRecord(name: "c0a80109.addr.dc1.consul.", ttl: 0, data: .a([192, 168, 1, 9]))])
    }

    @Test func hostnameServiceAddressGivesCNAMEAndFQDNTarget() {
        let a = ask(r, "ext.service.consul.", .a)
        #expect(a.answers.map(\.data) == [.cname("example.com.")])
        let s = ask(r, "ext.service.consul.", .srv)
        #expect(srvs(s).map(\.target) == ["example.com."] && s.additional.isEmpty)
    }

    @Test func rfc2782Forms() {
        #expect(srvs(ask(r, "_web._tcp.service.consul.", .srv)).count == 3)
        #expect(srvs(ask(r, "_web._tcp.consul.", .srv)).count == 3)
        #expect(srvs(ask(r, "_web._tcp.service.dc2.consul.", .srv)).map(\.port) == [90])
        #expect(srvs(ask(r, "_web._tcp.dc2.consul.", .srv)).map(\.port) == [90])
        #expect(srvs(ask(r, "_web._v2.service.consul.", .srv)).map(\.port) == [81])
        // Without a kind label the `_` rule applies to SRV only.
        #expect(ask(r, "_web._tcp.consul.", .a).header.rcode == .nxDomain)
    }

    @Test func nodataForMismatchedType() {
        let m = ask(r, "web.service.consul.", .aaaa)
        #expect(m.header.rcode == .noError && m.answers.isEmpty && m.authority.first?.type == .soa)
        let mx = ask(r, "web.service.consul.", .mx)
        #expect(mx.header.rcode == .noError && mx.answers.isEmpty && mx.authority.first?.type == .soa)
        let v6 = ask(r, "v6.service.consul.", .aaaa)
        #expect(v6.answers.map(\.data) == [.aaaa(IP.parseV6("fd00::5")!)])
    }

    // MARK: node forms

    @Test func nodeLookups() {
        let m = ask(r, "n2.node.consul.", .a)
        #expect(aAddrs(m) == [[10, 0, 0, 2]] && m.additional.isEmpty)
        #expect(aAddrs(ask(r, "N2.NODE.dc1.consul.", .a)) == [[10, 0, 0, 2]])
        #expect(aAddrs(ask(r, "my.dotted.node.consul.", .a)) == [[10, 0, 0, 7]])
        #expect(aAddrs(ask(r, "r1.node.dc2.consul.", .a)) == [[10, 1, 0, 1]])
        let miss = ask(r, "zz.node.consul.", .a)
        #expect(miss.header.rcode == .nxDomain && miss.authority.first?.type == .soa)
        let srv = ask(r, "n2.node.consul.", .srv)
        #expect(srv.header.rcode == .noError && srv.answers.isEmpty && srv.authority.isEmpty)
        let aaaa = ask(r, "n2.node.consul.", .aaaa)
        #expect(aaaa.answers.isEmpty && aaaa.authority.first?.type == .soa)
    }

    @Test func nodeMetaTXT() {
        let t = ask(r, "n1.node.consul.", .txt)
        #expect(t.answers.map(\.data) == [.txt(["rack=r1"]), .txt(["raw"])])
        let a = ask(r, "n1.node.consul.", .a)
        #expect(a.additional.count == 2)
        let esc = r.metaTXT(mkNode("x", "1.1.1.1", meta: [" a=b`c ": "v`"]), owner: "x.", ttl: 0)
        #expect(esc.map(\.data) == [.txt(["` a`=b``c` =v``"])])
    }

    // MARK: other names

    @Test func outsideDomainIsRefused() {
        let m = ask(r, "example.com.", .a)
        #expect(m.header.rcode == .refused && m.answers.isEmpty)
    }

    @Test func garbageInsideDomainIsNXDOMAIN() {
        #expect(ask(r, "foo.bar.consul.", .a).header.rcode == .nxDomain)
        #expect(ask(r, "service.consul.", .a).header.rcode == .nxDomain)
        #expect(ask(r, "consul.", .a).header.rcode == .nxDomain)
    }

    @Test func soaAndNS() {
        let soa = ask(r, "consul.", .soa, now: 99)
        #expect(soa.header.rcode == .noError && soa.answers.first?.type == .soa)
        #expect(soa.authority == [DNSRecord(name: "consul.", ttl: 0, data: .ns("s1.node.dc1.consul."))])
        #expect(soa.additional == [DNSRecord(name: "s1.node.dc1.consul.", ttl: 0, data: .a([10, 0, 9, 1]))])
        let ns = ask(r, "consul.", .ns)
        #expect(ns.answers.map(\.data) == [.ns("s1.node.dc1.consul.")])
    }

    @Test func addrAndPTR() {
        #expect(aAddrs(ask(r, "0a000001.addr.dc1.consul.", .a)) == [[10, 0, 0, 1]])
        #expect(ask(r, "0a000001.addr.consul.", .aaaa).answers.isEmpty)
        #expect(ask(r, "zz.addr.consul.", .a).header.rcode == .nxDomain)
        let p = ask(r, "2.0.0.10.in-addr.arpa.", .ptr)
        #expect(p.answers.map(\.data) == [.ptr("n2.node.dc1.consul.")])
        #expect(ask(r, "9.9.9.9.in-addr.arpa.", .ptr).header.rcode == .nxDomain)
    }

    @Test func axfrIsNotImplemented() {
        #expect(ask(r, "consul.", .axfr).header.rcode == .notImp)
    }

    // MARK: TTLs, limits, truncation, shuffling

    @Test func ttls() {
        var c = DNSConfig()
        c.nodeTTL = 30
        c.serviceTTL = ["*": 5, "we*": 7, "web": 9, "a*": 11]
        let rr = ConsulDNSResponder(config: c, lookup: lookup)
        #expect(ask(rr, "web.service.consul.", .a).answers.allSatisfy { $0.ttl == 9 })
        #expect(ask(rr, "api.service.consul.", .a).answers.allSatisfy { $0.ttl == 11 })
        #expect(ask(rr, "v6.service.consul.", .aaaa).answers.allSatisfy { $0.ttl == 5 })
        #expect(ask(rr, "n2.node.consul.", .a).answers.allSatisfy { $0.ttl == 30 })
        #expect(c.ttl(forService: "wex") == 7)
    }

    var many: FakeLookup {
        var l = lookup
        l.services = (0..<40).map {
            mkInstance("big", node: "node-with-a-rather-long-name-\($0)", addr: "10.2.0.\($0)", port: 1000 + $0)
        }
        return l
    }

    @Test func udpAnswerLimitAndEDNS() {
        let rr = ConsulDNSResponder(lookup: many)
        let udp = ask(rr, "big.service.consul.", .a)
        #expect(udp.answers.count == 3 && !udp.header.tc)
        let edns = ask(rr, "big.service.consul.", .a, edns: 4096)
        #expect(edns.answers.count == 40 && edns.edns?.udpPayloadSize == 4096)
        let tcp = ask(rr, "big.service.consul.", .a, tcp: true)
        #expect(tcp.answers.count == 40 && tcp.edns == nil)
        var c = DNSConfig(); c.udpAnswerLimit = 8; c.enableTruncate = true
        let t = ask(ConsulDNSResponder(config: c, lookup: many), "big.service.consul.", .a)
        #expect(t.answers.count == 8 && t.header.tc)
        var c2 = DNSConfig(); c2.aRecordLimit = 2
        #expect(ask(ConsulDNSResponder(config: c2, lookup: many), "big.service.consul.", .a, tcp: true).answers.count == 2)
    }

    @Test func srvTruncationBySize() {
        var c = DNSConfig(); c.udpAnswerLimit = 8; c.enableTruncate = true
        let rr = ConsulDNSResponder(config: c, lookup: many)
        var rng = SplitMix64(seed: 3)
        let wire = rr.respond(to: queryBytes("big.service.consul.", .srv), overTCP: false, now: 0, random: &rng)!
        #expect(wire.count <= 512)
        let m = try! DNSParser.parse(wire)
        #expect(m.header.tc && m.answers.count < 8 && m.answers.count >= 1)
        #expect(m.additional.count == m.answers.count)   // glue re-synced to remaining targets
        // Large EDNS buffer: everything fits, no TC.
        var rng2 = SplitMix64(seed: 3)
        let big = rr.respond(to: queryBytes("big.service.consul.", .srv, edns: 65000), overTCP: false, now: 0, random: &rng2)!
        let bm = try! DNSParser.parse(big)
        #expect(bm.answers.count == 40 && !bm.header.tc && bm.edns?.udpPayloadSize == 65000)
        // EDNS 1232: trimmed to fit.
        var rng3 = SplitMix64(seed: 3)
        let mid = rr.respond(to: queryBytes("big.service.consul.", .srv, edns: 1232), overTCP: false, now: 0, random: &rng3)!
        #expect(mid.count <= 1232 && (try! DNSParser.parse(mid)).header.tc)
        // TCP: all of them.
        var rng4 = SplitMix64(seed: 3)
        let tcp = rr.respond(to: queryBytes("big.service.consul.", .srv), overTCP: true, now: 0, random: &rng4)!
        #expect((try! DNSParser.parse(tcp)).answers.count == 40)
    }

    @Test func silentTrimmingByDefault() {
        let rr = ConsulDNSResponder(lookup: many)
        let m = ask(rr, "big.service.consul.", .srv)
        #expect(!m.header.tc && m.answers.count == 3)
    }

    @Test func shufflingUsesInjectedRandom() {
        let rr = ConsulDNSResponder(lookup: many)
        let a = aAddrs(ask(rr, "big.service.consul.", .a, tcp: true, seed: 1))
        let b = aAddrs(ask(rr, "big.service.consul.", .a, tcp: true, seed: 1))
        let c = aAddrs(ask(rr, "big.service.consul.", .a, tcp: true, seed: 2))
        #expect(a == b && a != c && Set(a) == Set(c))
    }

    @Test func headerFlags() {
        var c = DNSConfig(); c.recursorsConfigured = true
        var rng = SplitMix64(seed: 1)
        let wire = ConsulDNSResponder(config: c, lookup: lookup).respond(
            to: queryBytes("web.service.consul.", .a, id: 77, rd: false), overTCP: false, now: 0, random: &rng)!
        let m = try! DNSParser.parse(wire)
        #expect(m.header.id == 77 && m.header.qr && m.header.aa && !m.header.rd && m.header.ra)
    }

    @Test func customDomain() {
        var c = DNSConfig(); c.domain = "Example.Internal"
        let rr = ConsulDNSResponder(config: c, lookup: lookup)
        #expect(aAddrs(ask(rr, "n2.node.example.internal.", .a)) == [[10, 0, 0, 2]])
        #expect(srvs(ask(rr, "web.service.example.internal.", .srv)).allSatisfy { $0.target.hasSuffix(".dc1.example.internal.") })
        #expect(ask(rr, "web.service.consul.", .a).header.rcode == .refused)
    }
}
