import ConsulAPI
@testable import DNS
import TestSupport
import Wire


struct FakeLookup: DNSLookup {
    var datacenter = "dc1"
    var services: [ServiceInstance] = []
    var catalogNodes: [CatalogNode] = []
    func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance] {
        services.filter {
            $0.service.service.lowercased() == name.lowercased()
                && ($0.node.datacenter.isEmpty ? self.datacenter : $0.node.datacenter) == datacenter
        }
    }
    func node(name: String, datacenter: String) -> CatalogNode? {
        catalogNodes.first { $0.node.lowercased() == name.lowercased() && $0.datacenter == datacenter }
    }
    func nodes(datacenter: String) -> [CatalogNode] { catalogNodes.filter { $0.datacenter == datacenter } }
    func preparedQuery(_ idOrName: String, datacenter: String) -> (instances: [ServiceInstance], service: String, ttl: UInt32?)? { nil }
}

func mkNode(_ name: String, _ addr: String, dc: String = "dc1", meta: [String: String] = [:]) -> CatalogNode {
    var n = CatalogNode()
    n.node = name; n.address = addr; n.datacenter = dc; n.meta = meta
    return n
}

func mkInstance(_ svc: String, node: String, addr: String, port: Int = 8080, svcAddr: String = "",
                tags: [String] = [], statuses: [String] = ["passing"], dc: String = "dc1") -> ServiceInstance {
    var s = NodeService()
    s.service = svc; s.id = svc; s.port = port; s.address = svcAddr; s.tags = tags
    return ServiceInstance(node: mkNode(node, addr, dc: dc), service: s, checkStatuses: statuses)
}

func queryBytes(_ name: String, _ type: DNSType, id: UInt16 = 0x1234, rd: Bool = true, edns: UInt16? = nil) -> [UInt8] {
    var m = DNSMessage()
    m.header.id = id; m.header.rd = rd
    m.questions = [DNSQuestion(name: name, type: type)]
    if let e = edns { m.edns = DNSEDNS(udpPayloadSize: e) }
    return DNSWriter.serialize(m)
}

/// Round-trips through the wire: query bytes → responder → parsed response header + structured
/// response (the structured one from the message-level API, same RNG seed).
func ask(_ r: ConsulDNSResponder, _ name: String, _ type: DNSType, tcp: Bool = false, edns: UInt16? = nil,
         seed: UInt64 = 1, now: Int64 = 1_700_000_000) -> DNSMessage {
    let bytes = queryBytes(name, type, edns: edns)
    var rng = SplitMix64(seed: seed)
    let q = try! DNSParser.parse(bytes)
    let m = r.respond(to: q, overTCP: tcp, now: now, random: &rng)
    // The wire path must agree on the header and counts.
    var rng2 = SplitMix64(seed: seed)
    let wire = r.respond(to: bytes, overTCP: tcp, now: now, random: &rng2)!
    let back = try! DNSParser.parse(wire)
    precondition(back.header == m.header && back.answers.count == m.answers.count
                 && back.authority.count == m.authority.count && back.additional.count == m.additional.count)
    return m
}
