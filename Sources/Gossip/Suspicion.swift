import Platform

/// Lifeguard's suspicion timer for one node (agent.md §6.2): it starts at `max` and shrinks
/// toward `min` as independent peers confirm the suspicion, so a node that many see as failed
/// is declared dead sooner, and a lone accuser (perhaps the one with the bad network) waits long.
struct Suspicion {
    let start: Instant
    let minNanos: UInt64
    let maxNanos: UInt64
    /// Confirmations expected before the timeout reaches its minimum.
    let expectedConfirmations: Int
    /// Who has accused the node so far (the first accuser included).
    private(set) var accusers: Set<String>
    private(set) var deadline: Instant

    init(start: Instant, accuser: String, minNanos: UInt64, maxNanos: UInt64, expectedConfirmations: Int) {
        self.start = start
        self.minNanos = minNanos
        self.maxNanos = max(minNanos, maxNanos)
        self.expectedConfirmations = expectedConfirmations
        self.accusers = [accuser]
        let initial = expectedConfirmations < 1 ? minNanos : self.maxNanos
        self.deadline = start.adding(nanoseconds: initial)
    }

    var confirmations: Int { accusers.count - 1 }

    /// Records a new accuser; false when it was already counted (then it is not re-broadcast).
    mutating func confirm(from accuser: String) -> Bool {
        guard confirmations < expectedConfirmations, !accusers.contains(accuser) else { return false }
        accusers.insert(accuser)
        deadline = start.adding(nanoseconds: Suspicion.timeout(confirmations: confirmations, expected: expectedConfirmations,
                                                               minNanos: minNanos, maxNanos: maxNanos))
        return true
    }

    /// `max − (log(c+1)/log(k+1))·(max−min)`, never below `min`.
    static func timeout(confirmations c: Int, expected k: Int, minNanos: UInt64, maxNanos: UInt64) -> UInt64 {
        guard k >= 1 else { return minNanos }
        let fraction = GossipMath.ln(Double(c + 1)) / GossipMath.ln(Double(k + 1))
        let raw = Double(maxNanos) - fraction * Double(maxNanos - minNanos)
        return raw <= Double(minNanos) ? minNanos : UInt64(raw)
    }

    /// `min = mult × max(1, log10 n) × probeInterval`, `max = maxMult × min`.
    static func bounds(nodes: Int, suspicionMult: Int, maxTimeoutMult: Int, probeIntervalNanos: UInt64) -> (min: UInt64, max: UInt64) {
        let scale = max(1.0, GossipMath.log10(Double(max(1, nodes))))
        let minimum = UInt64(Double(suspicionMult) * scale * Double(probeIntervalNanos))
        return (minimum, minimum * UInt64(maxTimeoutMult))
    }
}
