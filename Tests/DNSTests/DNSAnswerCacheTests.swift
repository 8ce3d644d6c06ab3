import Testing
@testable import DNS

/// The UDP answer cache (issue #8): hits only after every shuffle variant was built, answers
/// carry the asking query's ID, and nothing outlives its catalog generation or second.
@Suite struct DNSAnswerCacheTests {
    let stamp = DNSAnswerCache.Stamp(generation: 7, second: 1000)

    func answer(_ cache: inout DNSAnswerCache, _ query: [UInt8], _ stamp: DNSAnswerCache.Stamp) -> [UInt8]? {
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { out.deallocate() }
        let length = query.withUnsafeBytes { cache.answer($0, stamp: stamp, into: out) }
        return length.map { Array(out[..<$0]) }
    }

    func reply(to query: [UInt8], variant: UInt8) -> [UInt8] {
        var r = query
        r[2] |= 0x80        // QR
        r.append(variant)   // stands in for a differently shuffled answer
        return r
    }

    /// Proves a key answers only once all variants exist, rotates through them in order, and
    /// patches the asking query's ID into the copy.
    @Test func rotatesVariantsWithTheCallersID() {
        var cache = DNSAnswerCache(capacity: 64)
        let query = queryBytes("web.service.consul.", .a, id: 0x0101)
        for v in 0..<UInt8(DNSAnswerCache.variantsPerKey) {
            #expect(answer(&cache, query, stamp) == nil, "no answer before all variants are built")
            cache.store(query: query, answer: reply(to: query, variant: v), stamp: stamp)
        }
        let asked = queryBytes("web.service.consul.", .a, id: 0xBEEF)
        var seen: [UInt8] = []
        for _ in 0..<8 {
            let got = try! #require(answer(&cache, asked, stamp))
            #expect(got[0] == 0xBE && got[1] == 0xEF)
            #expect(got[2] & 0x80 != 0)
            seen.append(got.last!)
        }
        #expect(seen == [0, 1, 2, 3, 0, 1, 2, 3])
    }

    /// Proves a new catalog generation or a new second, a different question, type, RD flag or
    /// EDNS section all miss.
    @Test func keyAndStampDecideHits() {
        var cache = DNSAnswerCache(capacity: 64)
        let query = queryBytes("web.service.consul.", .a, edns: 4096)
        for v in 0..<UInt8(DNSAnswerCache.variantsPerKey) { cache.store(query: query, answer: reply(to: query, variant: v), stamp: stamp) }
        #expect(answer(&cache, query, stamp) != nil)
        #expect(answer(&cache, query, DNSAnswerCache.Stamp(generation: 8, second: 1000)) == nil)
        #expect(answer(&cache, query, DNSAnswerCache.Stamp(generation: 7, second: 1001)) == nil)
        #expect(answer(&cache, queryBytes("db.service.consul.", .a, edns: 4096), stamp) == nil)
        #expect(answer(&cache, queryBytes("web.service.consul.", .srv, edns: 4096), stamp) == nil)
        #expect(answer(&cache, queryBytes("web.service.consul.", .a, rd: false, edns: 4096), stamp) == nil)
        #expect(answer(&cache, queryBytes("web.service.consul.", .a, edns: 512), stamp) == nil)
        #expect(answer(&cache, queryBytes("web.service.consul.", .a), stamp) == nil)
        // A stale entry is rebuilt under the new stamp.
        let next = DNSAnswerCache.Stamp(generation: 8, second: 1000)
        for v in 0..<UInt8(DNSAnswerCache.variantsPerKey) { cache.store(query: query, answer: reply(to: query, variant: v + 10), stamp: next) }
        #expect(answer(&cache, query, next)?.last == 10)
        #expect(answer(&cache, [1, 2, 3], stamp) == nil, "short datagrams never hit")
    }

    /// Proves the table stays bounded: filling it past capacity drops everything and keeps working.
    @Test func boundedByClearing() {
        var cache = DNSAnswerCache(capacity: 16)
        for i in 0..<200 {
            let q = queryBytes("n\(i).node.consul.", .a)
            for v in 0..<UInt8(DNSAnswerCache.variantsPerKey) { cache.store(query: q, answer: reply(to: q, variant: v), stamp: stamp) }
        }
        let q = queryBytes("last.node.consul.", .a)
        for v in 0..<UInt8(DNSAnswerCache.variantsPerKey) { cache.store(query: q, answer: reply(to: q, variant: v), stamp: stamp) }
        #expect(answer(&cache, q, stamp) != nil)
    }
}
