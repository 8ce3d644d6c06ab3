/// Messages waiting to be piggy-backed on gossip, each sent a bounded number of times
/// (memberlist's TransmitLimitedQueue). The least-sent go first, so a new message spreads
/// before old ones are repeated; a newer message about the same subject replaces the older.
struct BroadcastQueue {
    struct Item {
        /// Messages about the same node (or intent) invalidate each other; nil never does.
        var subject: String?
        var bytes: [UInt8]
        var transmits: Int
        /// Insertion order, newest highest: among equally-sent items the newest goes first.
        var id: UInt64
    }

    private(set) var items: [Item] = []
    private var nextID: UInt64 = 0
    /// Bounds memory when nobody is there to gossip to; the oldest, most-sent go first.
    let itemsMax: Int

    init(itemsMax: Int = 4096) { self.itemsMax = itemsMax }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func enqueue(_ bytes: [UInt8], subject: String?) {
        if let subject { items.removeAll { $0.subject == subject } }
        nextID += 1
        items.append(Item(subject: subject, bytes: bytes, transmits: 0, id: nextID))
        if items.count > itemsMax {
            sort()
            items.removeLast(items.count - itemsMax)
        }
    }

    /// Up to `limit` bytes of messages, each costing its size plus `overhead`; every returned
    /// message counts one transmission and leaves the queue at `transmitLimit`.
    mutating func take(overhead: Int, limit: Int, transmitLimit: Int) -> [[UInt8]] {
        guard !items.isEmpty, limit > 0 else { return [] }
        sort()
        var used = 0
        var out: [[UInt8]] = []
        var keep: [Item] = []
        keep.reserveCapacity(items.count)
        for var item in items {
            let cost = item.bytes.count + overhead
            if used + cost <= limit && out.count < 127 {
                used += cost
                out.append(item.bytes)
                item.transmits += 1
                if item.transmits >= transmitLimit { continue }
            }
            keep.append(item)
        }
        items = keep
        return out
    }

    mutating func removeAll() { items.removeAll() }

    private mutating func sort() {
        items.sort { a, b in a.transmits != b.transmits ? a.transmits < b.transmits : a.id > b.id }
    }
}

/// Each broadcast is sent `mult × ceil(log10(n + 1))` times (agent.md §6.2).
func retransmitLimit(mult: Int, nodes: Int) -> Int {
    let scale = Int(GossipMath.log10(Double(nodes + 1)).rounded(.up))
    return mult * max(1, scale)
}
