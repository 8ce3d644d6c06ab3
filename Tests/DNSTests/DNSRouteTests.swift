import ConsulAPI
@testable import DNS
import Testing

/// Who answers a raw query (`route(packet:)`: recursors, our catalog, or another datacenter's
/// servers) and which prepared query of our datacenter it names (`preparedQueryName(packet:)`).
@Suite("DNS routing of raw queries")
struct DNSRouteTests {
    /// Our datacenter is FakeLookup's "dc1".
    let responder = ConsulDNSResponder(lookup: FakeLookup())

    private func route(_ name: String, _ type: DNSType = .a) -> ConsulDNSResponder.Route {
        responder.route(packet: queryBytes(name, type))
    }

    private func queryName(_ name: String, _ type: DNSType = .a) -> String? {
        responder.preparedQueryName(packet: queryBytes(name, type))
    }

    /// Proves names without a datacenter, or naming ours (any case), are answered locally.
    @Test func namesOfOurDatacenterAreLocal() {
        #expect(route("web.service.consul.") == .local)
        #expect(route("web.service.dc1.consul.") == .local)
        #expect(route("web.service.DC1.consul.") == .local)
        #expect(route("web.service.dc1.dc.consul.") == .local)
        #expect(route("n1.node.consul.") == .local)
        #expect(route("consul.", .soa) == .local)
    }

    /// Proves names of another datacenter, in both the `<dc>` and `<dc>.dc` forms and for services, SRV and nodes, go to that datacenter.
    @Test func namesOfAnotherDatacenterRouteThere() {
        #expect(route("web.service.dc2.consul.") == .datacenter("dc2"))
        #expect(route("web.service.dc2.dc.consul.") == .datacenter("dc2"))
        #expect(route("_web._tcp.service.dc2.consul.", .srv) == .datacenter("dc2"))
        #expect(route("n1.node.dc2.consul.") == .datacenter("dc2"))
        #expect(route("db.query.dc2.consul.") == .datacenter("dc2"))
        #expect(route("WEB.SERVICE.DC2.CONSUL.") == .datacenter("dc2"))
    }

    /// Proves `addr` names stay local whatever datacenter follows (the address is in the name).
    @Test func addrNamesStayLocal() {
        #expect(route("0a000001.addr.dc2.consul.") == .local)
        #expect(route("x.addr.dc2.consul.") == .local)
    }

    /// Proves reverse names go to the catalog's PTR path and names outside the domain go outside.
    @Test func reverseAndOutsideNames() {
        #expect(route("1.0.0.10.in-addr.arpa.", .ptr) == .reverse)
        #expect(route("example.com.") == .outside)
        #expect(route("consul.example.com.") == .outside)
    }

    /// Proves a packet the responder cannot route (a response, or too short) is left to it as local.
    @Test func unroutablePacketsAreLocal() {
        var response = queryBytes("web.service.dc2.consul.", .a)
        response[2] |= 0x80   // QR: this is a response
        #expect(responder.route(packet: response) == .local)
        #expect(responder.route(packet: [0, 1, 2]) == .local)
    }

    /// Proves the prepared query name is read from `<name>.query[.<our dc>].<domain>` and the RFC 2782 SRV form.
    @Test func preparedQueryNameOfOurDatacenter() {
        #expect(queryName("db.query.consul.") == "db")
        #expect(queryName("db.query.dc1.consul.") == "db")
        #expect(queryName("_db._tcp.query.consul.", .srv) == "db")
        #expect(queryName("a.b.query.consul.") == "a.b")
    }

    /// Proves other datacenters' queries, non-query names and names outside the domain name no prepared query.
    @Test func noPreparedQueryNameOtherwise() {
        #expect(queryName("db.query.dc2.consul.") == nil)
        #expect(queryName("db.service.consul.") == nil)
        #expect(queryName("db.node.consul.") == nil)
        #expect(queryName("query.consul.") == nil)
        #expect(queryName("db.query.example.com.") == nil)
    }
}
