import TestSupport
import Testing
import ConsulAPI
@testable import DNS
import Wire

/// The allocation-lean rewrites of the codec and responder (issue #8 bench work) keep the old
/// behaviour: names, escapes, compression, TXT chunking, IPv4 parsing and trimming.
@Suite struct DNSHotPathTests {
    /// `appendWire` writes exactly the labels `labels()` (the reference splitter) produces, for
    /// names with escapes, empty labels and over-long labels.
    @Test func inPlaceWireNamesMatchTheLabelSplitter() {
        var rng = SplitMix64(seed: 7)
        let alphabet: [String] = ["a", "B", ".", "\\\\", "\\.", "\\046", "\\1", "\\12", "\\255", "\\999", "0", "-", "é"]
        var names = ["", ".", "..", "a", "a.", "web.service.consul.", String(repeating: "x", count: 70) + ".y", "\\", "a\\"]
        for _ in 0..<2000 {
            names.append((0..<Int.random(in: 0..<12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined())
        }
        for name in names {
            var wire: [UInt8] = []
            DNSWriter.appendWire(name, to: &wire)
            var expected: [UInt8] = []
            for label in DNSWriter.labels(name) { expected.append(UInt8(label.count)); expected += label }
            expected.append(0)
            #expect(wire == expected, "\(name)")
        }
    }

    /// Parsed names survive serialize → parse with and without compression, pointers and all.
    @Test func escapedNamesRoundTrip() throws {
        var m = DNSMessage()
        m.questions = [DNSQuestion(name: "a\\046\\032.Web.consul.", type: .a)]
        m.answers = [DNSRecord(name: "a\\046\\032.web.CONSUL.", ttl: 1, data: .a([1, 2, 3, 4])),
                     DNSRecord(name: "x.web.consul.", ttl: 1, data: .srv(priority: 1, weight: 1, port: 2, target: "web.consul.")),
                     DNSRecord(name: "web.consul.", ttl: 1, data: .cname("y.web.consul."))]
        for compress in [true, false] {
            let back = try DNSParser.parse(DNSWriter.serialize(m, compress: compress))
            #expect(back.questions == m.questions)
            // Compression points at the first spelling of a suffix (case-insensitive match).
            if compress {
                #expect(back.answers.map { $0.name.lowercased() } == m.answers.map { $0.name.lowercased() })
            } else {
                #expect(back.answers.map(\.name) == m.answers.map(\.name))
            }
        }
        let compressed = DNSWriter.serialize(m, compress: true), plain = DNSWriter.serialize(m, compress: false)
        #expect(compressed.count < plain.count)
    }

    /// TXT strings longer than 255 bytes are split into 255-byte character-strings.
    @Test func longTXTIsChunked() throws {
        var m = DNSMessage()
        let text = String(repeating: "k", count: 600)
        m.answers = [DNSRecord(name: "x.", ttl: 0, data: .txt([text, ""]))]
        guard case .raw(let rdata) = try DNSParser.parse(DNSWriter.serialize(m)).answers[0].data else {
            Issue.record("no rdata"); return
        }
        #expect(rdata.count == 1 + 255 + 1 + 255 + 1 + 90 + 1)
        #expect(rdata[0] == 255 && rdata[256] == 255 && rdata[512] == 90 && rdata.last == 0)
    }

    @Test func ipv4ParsingEdgeCases() {
        #expect(IP.parseV4("255.255.255.255") == [255, 255, 255, 255])
        #expect(IP.parseV4("01.2.3.4") == [1, 2, 3, 4])
        for bad in ["", "1.2.3.4.", ".1.2.3", "1..2.3", "1.2.3.4.5", "1234.1.1.1", "1.2.3.-4", "1.2.3.4 ", "１.2.3.4"] {
            #expect(IP.parseV4(bad) == nil, "\(bad)")
        }
    }

    /// Size trimming keeps the largest answer count that fits (bisection), SRV glue in step.
    @Test func trimmingKeepsTheMostAnswersThatFit() throws {
        let many = (0..<40).map { mkInstance("big", node: "node-with-a-rather-long-name-\($0)", addr: "10.9.0.\($0)", port: 1000 + $0) }
        var c = DNSConfig(); c.udpAnswerLimit = 0   // only the 512-byte rule applies (cap 8)
        let r = ConsulDNSResponder(config: c, lookup: FakeLookup(services: many))
        for (type, edns) in [(DNSType.srv, UInt16?.none), (.srv, 1232), (.a, 600)] {
            var rng = SplitMix64(seed: 3)
            let bytes = r.respond(to: queryBytes("big.service.consul.", type, edns: edns), overTCP: false, now: 0, random: &rng)!
            let m = try DNSParser.parse(bytes)
            let limit = Int(edns ?? 512)
            #expect(bytes.count <= limit)
            #expect(!m.answers.isEmpty)
            if type == .srv { #expect(m.additional.count == m.answers.count) }
            // One more answer would not have fit: re-answer with the next instance added back.
            var rng2 = SplitMix64(seed: 3)
            let structured = r.respond(to: try DNSParser.parse(queryBytes("big.service.consul.", type, edns: edns)),
                                       overTCP: false, now: 0, random: &rng2)
            #expect(structured.answers.count == m.answers.count)
        }
    }
}
