import TestSupport
import Testing
@testable import DNS
import Wire

/// Hand-assembled labels: [len, bytes..., ..., 0].
func wireName(_ labels: String...) -> [UInt8] {
    var out: [UInt8] = []
    for l in labels { out.append(UInt8(l.utf8.count)); out += Array(l.utf8) }
    return out + [0]
}

@Suite struct GoldenTests {
    let lookup = FakeLookup(services: [mkInstance("web", node: "n1", addr: "10.0.0.1", port: 8080)])

    @Test func aResponseGoldenBytes() {
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + wireName("web", "service", "consul") + [0x00, 0x01, 0x00, 0x01]
        var rng = SplitMix64(seed: 7)
        let out = ConsulDNSResponder(lookup: lookup).respond(to: query, overTCP: false, now: 0, random: &rng)
        let expected: [UInt8] = [0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]
            + wireName("web", "service", "consul") + [0x00, 0x01, 0x00, 0x01]
            + [0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 10, 0, 0, 1]
        #expect(out == expected)
    }

    @Test func srvResponseGoldenBytes() {
        let query: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + wireName("web", "service", "consul") + [0x00, 0x21, 0x00, 0x01]
        var rng = SplitMix64(seed: 7)
        let out = ConsulDNSResponder(lookup: lookup).respond(to: query, overTCP: false, now: 0, random: &rng)
        // Question at 12 (24 bytes) → answer at 36; rdata at 48; SRV target (uncompressed) at 54 = 0x36.
        let target = wireName("n1", "node", "dc1", "consul")
        let expected: [UInt8] = [0xAB, 0xCD, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 1]
            + wireName("web", "service", "consul") + [0x00, 0x21, 0x00, 0x01]
            + [0xC0, 0x0C, 0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0, 0x00, UInt8(6 + target.count)]
            + [0x00, 0x01, 0x00, 0x01, 0x1F, 0x90] + target
            + [0xC0, 0x36, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 10, 0, 0, 1]
        #expect(out == expected)
    }

    @Test func nxdomainWithSOAAndEDNSGoldenBytes() {
        let query: [UInt8] = [0x00, 0x07, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
            + wireName("nope", "service", "consul") + [0x00, 0x01, 0x00, 0x01]
            + [0x00, 0x00, 0x29, 0x10, 0x00, 0, 0, 0, 0, 0x00, 0x00]   // OPT, 4096
        var rng = SplitMix64(seed: 7)
        let out = ConsulDNSResponder(lookup: lookup).respond(to: query, overTCP: false, now: 0x01020304, random: &rng)
        // "consul." from the question is at 12 + 5 + 8 = 25 = 0x19.
        let expected: [UInt8] = [0x00, 0x07, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 1]
            + wireName("nope", "service", "consul") + [0x00, 0x01, 0x00, 0x01]
            + [0xC0, 0x19, 0x00, 0x06, 0x00, 0x01, 0, 0, 0, 0, 0x00, 38]
            + [2] + Array("ns".utf8) + [0xC0, 0x19]
            + [10] + Array("hostmaster".utf8) + [0xC0, 0x19]
            + [1, 2, 3, 4, 0, 0, 0x0E, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80, 0, 0, 0, 0]
            + [0x00, 0x00, 0x29, 0x10, 0x00, 0, 0, 0, 0, 0x00, 0x00]
        #expect(out == expected)
    }
}

@Suite struct ParserTests {
    static let validQuestion = wireName("web", "service", "consul") + [0, 1, 0, 1]

    static let malformed: [(String, [UInt8], DNSParseError)] = [
        ("empty", [], .truncatedHeader),
        ("short header", [0x12, 0x34, 0x01], .truncatedHeader),
        ("header claims question, none", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], .truncated(at: 12)),
        ("question count beyond data", [0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0] + validQuestion, .truncated(at: 36)),
        ("label runs past end", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0x61, 0x62, 0x63, 0, 0], .truncated(at: 12)),
        ("bad label length 0x40", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x61, 0, 0, 1, 0, 1], .badLabelLength(at: 12)),
        ("bad label length 0x80", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x81, 0x61, 0, 0, 1, 0, 1], .badLabelLength(at: 12)),
        ("pointer to itself", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1], .compressionLoop(at: 12)),
        ("forward pointer", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x10, 0, 1, 0, 1, 0], .compressionLoop(at: 12)),
        ("two-label loop", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 0x0C, 0, 1, 0, 1], .compressionLoop(at: 14)),
        ("truncated pointer", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63, 0xC0], .truncated(at: 16)),
        ("question missing type", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + wireName("a") + [0, 1, 0], .truncated(at: 17)),
        ("rdlength beyond data", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1] + validQuestion + [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 9, 1],
         .truncated(at: 47)),
        ("two OPT records", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2] + validQuestion
            + [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0], .badOPT),
        ("name too long", [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
            + Array((0..<5).map { _ in [63] + [UInt8](repeating: 0x61, count: 63) }.joined()) + [0, 0, 1, 0, 1], .nameTooLong),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedIsRejected(_ i: Int) {
        let (name, bytes, want) = Self.malformed[i]
        #expect(throws: want, "\(name)") { try DNSParser.parse(bytes) }
    }

    @Test func malformedWithHeaderGetsFORMERR() {
        let bad: [UInt8] = [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        var rng = SplitMix64(seed: 1)
        let out = ConsulDNSResponder(lookup: FakeLookup()).respond(to: bad, overTCP: false, now: 0, random: &rng)!
        let m = try! DNSParser.parse(out)
        #expect(m.header.id == 0xBEEF && m.header.qr && m.header.rcode == .formErr && m.header.rd)
        #expect(m.questions.isEmpty)
    }

    @Test func shortOrResponsePacketsAreDropped() {
        var rng = SplitMix64(seed: 1)
        let r = ConsulDNSResponder(lookup: FakeLookup())
        #expect(r.respond(to: [1, 2, 3], overTCP: false, now: 0, random: &rng) == nil)
        var resp = queryBytes("web.service.consul.", .a); resp[2] |= 0x80
        #expect(r.respond(to: resp, overTCP: false, now: 0, random: &rng) == nil)
    }

    @Test func parsesEDNSAndCompressedNames() throws {
        // Second question points into the first.
        let bytes: [UInt8] = [0, 9, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 1]
            + wireName("web", "service", "consul") + [0, 33, 0, 1]
            + [3] + Array("api".utf8) + [0xC0, 16] + [0, 1, 0, 1]
            + [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0]
        let m = try DNSParser.parse(bytes)
        #expect(m.questions.map(\.name) == ["web.service.consul.", "api.service.consul."])
        #expect(m.questions[0].type == .srv)
        #expect(m.edns?.udpPayloadSize == 1232 && m.edns?.dnssecOK == true)
        #expect(m.header.rd)
    }

    @Test func escapesOddBytesInLabels() throws {
        let bytes: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2E, 0x20, 0, 0, 1, 0, 1]
        let m = try DNSParser.parse(bytes)
        #expect(m.questions[0].name == "a\\046\\032.")
        // Writer restores the original label bytes.
        #expect(DNSWriter.labels(m.questions[0].name) == [[0x61, 0x2E, 0x20]])
    }

    @Test func randomAndMutatedBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let lookup = FakeLookup(services: [mkInstance("web", node: "n1", addr: "10.0.0.1")],
                                catalogNodes: [mkNode("n1", "10.0.0.1")])
        let r = ConsulDNSResponder(lookup: lookup)
        let seeds = [queryBytes("web.service.consul.", .srv, edns: 4096), queryBytes("n1.node.consul.", .a)]
        for i in 0..<20_000 {
            var b: [UInt8]
            if i % 2 == 0 {
                b = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                b = seeds[i % 4 == 1 ? 0 : 1]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { b.removeLast(Int.random(in: 0..<b.count, using: &rng)) }
            }
            _ = try? DNSParser.parse(b)
            _ = r.respond(to: b, overTCP: i % 3 == 0, now: 0, random: &rng)
        }
    }
}

@Suite struct WriterTests {
    @Test func compressesRepeatedSuffixesCaseInsensitively() {
        var m = DNSMessage()
        m.questions = [DNSQuestion(name: "A.Consul.", type: .a)]
        m.answers = [DNSRecord(name: "b.consul.", ttl: 0, data: .cname("a.consul."))]
        let out = DNSWriter.serialize(m)
        // question "A.Consul." at 12; "Consul." at 14 → answer owner = 1 'b' ptr 14; rdata = ptr 12.
        #expect(Array(out[26...]) == [1, 0x62, 0xC0, 14, 0, 5, 0, 1, 0, 0, 0, 0, 0, 2, 0xC0, 12])
    }

    @Test func writesTXTAndAAAA() throws {
        var m = DNSMessage()
        m.answers = [DNSRecord(name: "x.", ttl: 5, data: .txt(["k=v"])),
                     DNSRecord(name: "x.", ttl: 5, data: .aaaa(IP.parseV6("fe80::1")!))]
        let out = DNSWriter.serialize(m)
        let back = try DNSParser.parse(out)
        #expect(back.answers[0].data == .raw([3, 0x6B, 0x3D, 0x76]))
        #expect(back.answers[1].data == .aaaa([0xFE, 0x80] + Array(repeating: 0, count: 13) + [1]))
    }

    @Test func ipParsing() {
        #expect(IP.parseV4("1.2.3.4") == [1, 2, 3, 4])
        #expect(IP.parseV4("1.2.3.256") == nil)
        #expect(IP.parseV4("1.2.3") == nil)
        #expect(IP.parseV4("a.b.c.d") == nil)
        #expect(IP.parseV6("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(IP.parseV6("::ffff:1.2.3.4") == Array(repeating: 0, count: 10) + [0xFF, 0xFF, 1, 2, 3, 4])
        #expect(IP.parseV6("1::2::3") == nil)
        #expect(IP.parseV6("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IP.parseV6("example.com") == nil)
        #expect(IP.hex([10, 0, 0, 1]) == "0a000001")
    }
}
