import ConsulAPI

/// KV entries ordered by key bytes (Consul orders keys bytewise), with O(1) point lookups.
struct KVTable {
    private(set) var entries: [String: KVPair] = [:]
    /// Keys in byte order; kept sorted so prefix scans are a binary search plus a walk.
    private(set) var sortedKeys: [String] = []

    var count: Int { entries.count }

    subscript(key: String) -> KVPair? { entries[key] }

    mutating func upsert(_ entry: KVPair) {
        if entries.updateValue(entry, forKey: entry.key) == nil {
            sortedKeys.insert(entry.key, at: lowerBound(entry.key))
        }
    }

    @discardableResult
    mutating func remove(_ key: String) -> KVPair? {
        guard let old = entries.removeValue(forKey: key) else { return nil }
        let at = lowerBound(key)
        if at < sortedKeys.count && sortedKeys[at] == key { sortedKeys.remove(at: at) }
        return old
    }

    /// Keys starting with `prefix`, in order.
    func keys(withPrefix prefix: String) -> ArraySlice<String> {
        if prefix.isEmpty { return sortedKeys[...] }
        let start = lowerBound(prefix)
        var end = start
        while end < sortedKeys.count && hasBytePrefix(sortedKeys[end], prefix) { end += 1 }
        return sortedKeys[start..<end]
    }

    private func lowerBound(_ key: String) -> Int {
        var lo = 0, hi = sortedKeys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bytesLess(sortedKeys[mid], key) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

@inline(__always) func bytesLess(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

@inline(__always) public func hasBytePrefix(_ s: String, _ prefix: String) -> Bool {
    s.utf8.starts(with: prefix.utf8)
}
