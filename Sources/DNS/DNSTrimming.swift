/// Fitting an answer into its transport (UDP size limits, truncation, compression).
extension ConsulDNSResponder {
    // MARK: - Transport trimming (§1.5)

    /// Trims `m` to the transport's limits and returns its final wire form.
    func trim(_ m: inout DNSMessage, overTCP: Bool, ednsSize: UInt16?) -> [UInt8] {
        let original = m.answers.count
        let isSRV = m.questions.first?.type == .srv
        let maxSize: Int
        if overTCP {
            maxSize = 65523
            let cap = isSRV ? 1024 : 4096
            if m.answers.count > cap { m.answers.removeLast(m.answers.count - cap) }
        } else if let e = ednsSize {
            maxSize = min(max(Int(e), 512), 65467)
        } else {
            maxSize = 512
            let limit = config.udpAnswerLimit > 0 ? min(8, config.udpAnswerLimit) : 8
            if m.answers.count > limit { m.answers.removeLast(m.answers.count - limit) }
        }
        if isSRV && m.answers.count < original { resyncAdditional(&m) }
        let compress = !config.disableCompression
        var bytes = DNSWriter.serialize(m, compress: compress)
        if bytes.count > maxSize, m.authority.contains(where: { $0.type == .ns }) {
            m.authority.removeAll { $0.type == .ns }
            bytes = DNSWriter.serialize(m, compress: compress)
        }
        if bytes.count > maxSize && m.answers.count > 1 {
            // Largest answer count that fits, by bisection over the count (size grows with it).
            var lo = 1, hi = m.answers.count - 1   // `hi + 1` answers are known not to fit
            let all = m.answers, allAdditional = m.additional
            var best: (count: Int, message: DNSMessage, bytes: [UInt8])?
            while lo <= hi {
                let mid = (lo + hi) / 2
                var t = m
                t.answers = Array(all.prefix(mid))
                t.additional = allAdditional
                if isSRV { resyncAdditional(&t) }
                let b = DNSWriter.serialize(t, compress: compress)
                if b.count <= maxSize { best = (mid, t, b); lo = mid + 1 } else { hi = mid - 1 }
            }
            if let best {
                m = best.message; bytes = best.bytes
            } else {
                m.answers = Array(all.prefix(1))
                if isSRV { resyncAdditional(&m) }
                bytes = DNSWriter.serialize(m, compress: compress)
            }
        }
        var forceTC = false
        if bytes.count > maxSize {
            m.additional = []
            bytes = DNSWriter.serialize(m, compress: compress)
            if bytes.count > maxSize { m.answers = []; m.authority = []; forceTC = true }
        }
        if forceTC || (config.enableTruncate && m.answers.count < original) {
            m.header.tc = true
            bytes = DNSWriter.serialize(m, compress: compress)
        }
        return bytes
    }

    func resyncAdditional(_ m: inout DNSMessage) {
        var targets = Set<String>()
        for a in m.answers { if case .srv(_, _, _, let t) = a.data { targets.insert(t.lowercased()) } }
        m.additional.removeAll { !targets.contains($0.name.lowercased()) }
    }
}
