/// Finished UDP answers keyed by the query's bytes after its ID (flags, counts, question and
/// EDNS section all shape the answer), so a repeated query is answered by a copy and a new ID
/// without parsing or allocating. An entry is good only for the catalog generation and the
/// wall-clock second it was built in (the SOA serial is the time). Consul shuffles every answer:
/// each key keeps `variantsPerKey` answers built independently and hands them out in turn.
/// Open addressing over a fixed table; everything is dropped when it fills up.
public struct DNSAnswerCache {
    public struct Stamp: Equatable, Sendable {
        public var generation: UInt64
        public var second: Int64
        public init(generation: UInt64, second: Int64) {
            self.generation = generation
            self.second = second
        }
    }

    struct Slot {
        var hash: UInt64
        var key: [UInt8]
        var variants: [[UInt8]]
        var next: Int
        var stamp: Stamp
    }

    public static let variantsPerKey = 4
    static let probeLimit = 8
    private var slots: [Slot?]
    private var used = 0
    private let mask: Int

    /// `capacity` is rounded up to a power of two.
    public init(capacity: Int = 4096) {
        var size = 16
        while size < capacity { size <<= 1 }
        slots = Array(repeating: nil, count: size)
        mask = size - 1
    }

    /// Copies a cached answer for `query` into `out` with the query's ID; returns its length.
    public mutating func answer(_ query: UnsafeRawBufferPointer, stamp: Stamp, into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard query.count >= 12 else { return nil }
        let hash = DNSAnswerCache.hash(query)
        var i = Int(truncatingIfNeeded: hash) & mask
        for _ in 0..<DNSAnswerCache.probeLimit {
            guard let slot = slots[i] else { return nil }
            if slot.hash == hash && DNSAnswerCache.sameKey(slot.key, query) {
                guard slot.stamp == stamp, slot.variants.count == DNSAnswerCache.variantsPerKey else { return nil }
                let variant = slot.variants[slot.next]
                slots[i]!.next = (slot.next + 1) % DNSAnswerCache.variantsPerKey
                guard variant.count <= out.count else { return nil }
                variant.withUnsafeBytes { out.copyMemory(from: $0) }
                out[0] = query[0]
                out[1] = query[1]
                return variant.count
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Records an answer the responder built for `query` under `stamp`.
    public mutating func store(query: [UInt8], answer: [UInt8], stamp: Stamp) {
        guard query.count >= 12, answer.count >= 12 else { return }
        let hash = query.withUnsafeBytes { DNSAnswerCache.hash($0) }
        var i = Int(truncatingIfNeeded: hash) & mask
        for _ in 0..<DNSAnswerCache.probeLimit {
            guard let slot = slots[i] else {
                if used >= (mask + 1) * 3 / 4 { return clear() }
                slots[i] = Slot(hash: hash, key: Array(query[2...]), variants: [answer], next: 0, stamp: stamp)
                used += 1
                return
            }
            if slot.hash == hash && query.withUnsafeBytes({ DNSAnswerCache.sameKey(slot.key, $0) }) {
                if slot.stamp != stamp {
                    slots[i] = Slot(hash: hash, key: slot.key, variants: [answer], next: 0, stamp: stamp)
                } else if slot.variants.count < DNSAnswerCache.variantsPerKey {
                    slots[i]!.variants.append(answer)
                }
                return
            }
            i = (i + 1) & mask
        }
        // A crowded neighbourhood: replace the home slot.
        let home = Int(truncatingIfNeeded: hash) & mask
        slots[home] = Slot(hash: hash, key: Array(query[2...]), variants: [answer], next: 0, stamp: stamp)
    }

    public mutating func clear() {
        for i in slots.indices { slots[i] = nil }
        used = 0
    }

    /// FNV-1a over the bytes after the ID.
    static func hash(_ query: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 2..<query.count { h = (h ^ UInt64(query[i])) &* 0x100_0000_01b3 }
        return h
    }

    static func sameKey(_ key: [UInt8], _ query: UnsafeRawBufferPointer) -> Bool {
        guard key.count == query.count - 2 else { return false }
        return key.withUnsafeBytes { k in
            for i in 0..<k.count where k[i] != query[i + 2] { return false }
            return true
        }
    }
}
