// Vivaldi network coordinates as serf maintains them (agent.md §6.8): each RTT probe pulls the
// local coordinate toward or away from the peer's, so that `distance(to:)` between any two
// coordinates estimates their round-trip time in seconds.
//
// Pure: no clock, no I/O, no ambient randomness. The only random choice (a direction when two
// coordinates coincide) comes from a seeded generator the client carries, so a copy of a client
// replays exactly.

/// Tuning of the coordinate system. Defaults are serf's (agent.md §6.8); every node in one
/// gossip pool must agree on `dimensionality`.
public struct VivaldiConfig: Sendable, Equatable {
    /// Length of `Coordinate.vec`.
    public var dimensionality: Int
    /// Error of a coordinate that has seen no samples yet, and the ceiling of any error.
    public var errorMax: Double
    /// The largest share of the error estimate one sample may replace.
    public var ce: Double
    /// The largest fraction of the prediction error one sample may move the coordinate by.
    public var cc: Double
    /// How many recent (rtt − raw distance) residuals the adjustment term averages over.
    public var adjustmentWindowSamples: Int
    /// Floor of the height term, in seconds.
    public var heightMinSeconds: Double
    /// How many recent RTTs per peer feed the median latency filter.
    public var latencyFilterSamples: Int
    /// How hard the origin pulls coordinates back, so the whole pool does not drift away; larger
    /// is weaker (force = −(distance from origin / rho)²).
    public var gravityRho: Double
    /// RTT samples above this are treated as bogus and rejected.
    public var rttMaxSeconds: Double
    /// Peers whose latency filter is kept at once. The caller normally `forget`s departed nodes;
    /// this bound only stops a caller that never does from growing the table without limit. When
    /// full, the peer sampled least recently is dropped.
    public var latencyFilterPeersMax: Int

    public init(dimensionality: Int = 8, errorMax: Double = 1.5, ce: Double = 0.25, cc: Double = 0.25,
                adjustmentWindowSamples: Int = 20, heightMinSeconds: Double = 1.0e-5,
                latencyFilterSamples: Int = 3, gravityRho: Double = 150, rttMaxSeconds: Double = 10,
                latencyFilterPeersMax: Int = 65_536) {
        self.dimensionality = dimensionality
        self.errorMax = errorMax
        self.ce = ce
        self.cc = cc
        self.adjustmentWindowSamples = adjustmentWindowSamples
        self.heightMinSeconds = heightMinSeconds
        self.latencyFilterSamples = latencyFilterSamples
        self.gravityRho = gravityRho
        self.rttMaxSeconds = rttMaxSeconds
        self.latencyFilterPeersMax = latencyFilterPeersMax
    }

    public static let `default` = VivaldiConfig()
}

/// Below this, a length or RTT counts as zero (avoids dividing by almost nothing).
private let zeroThreshold = 1.0e-6

extension Coordinate {
    /// The coordinate a node starts from: the origin, maximal error, minimal height.
    public init(config: VivaldiConfig) {
        self.init(vec: Array(repeating: 0, count: config.dimensionality), error: config.errorMax,
                  adjustment: 0, height: config.heightMinSeconds)
    }

    /// Estimated RTT to `other` in seconds: Euclidean distance plus both heights, plus both
    /// adjustments unless that would make the estimate non-positive. Both coordinates must have
    /// the same dimensionality.
    public func distance(to other: Coordinate) -> Double {
        let raw = rawDistance(to: other)
        let adjusted = raw + adjustment + other.adjustment
        return adjusted > 0 ? adjusted : raw
    }

    /// Finite components and the default dimensionality (8), i.e. safe to feed to a client built
    /// with `VivaldiConfig.default`.
    public var isValid: Bool {
        vec.count == VivaldiConfig.default.dimensionality && hasFiniteComponents
    }

    var hasFiniteComponents: Bool {
        vec.allSatisfy(\.isFinite) && error.isFinite && adjustment.isFinite && height.isFinite
    }

    /// Distance without the adjustment terms; what the adjustment itself is measured against.
    func rawDistance(to other: Coordinate) -> Double {
        precondition(vec.count == other.vec.count, "Vivaldi: dimensionality mismatch")
        var sumOfSquares = 0.0
        for i in vec.indices {
            let d = vec[i] - other.vec[i]
            sumOfSquares += d * d
        }
        return sumOfSquares.squareRoot() + height + other.height
    }
}

/// One node's view of its own coordinate, updated from RTT samples to peers. A value type the
/// caller owns (one per gossip pool: LAN and WAN coordinates are separate spaces).
public struct VivaldiClient: Sendable {
    public let config: VivaldiConfig
    /// This node's current coordinate, to gossip in acks and to measure distances from.
    public private(set) var coordinate: Coordinate
    /// How many times the coordinate became non-finite and was reset to the origin.
    public private(set) var resets = 0

    private let origin: Coordinate
    /// Ring of the last `adjustmentWindowSamples` residuals; starts as zeros, as serf's does.
    private var adjustmentSamples: [Double]
    private var adjustmentNext = 0
    private var filters: [String: PeerSamples] = [:]
    /// Orders filter use for eviction; a counter, not a clock.
    private var sampleSequence: UInt64 = 0
    private var rng: SplitMix

    private struct PeerSamples: Sendable {
        var rttsSeconds: [Double]
        var lastSequence: UInt64
    }

    /// `seed` drives the direction chosen when this coordinate coincides with a peer's; give each
    /// node a different one (e.g. from the agent's RandomSource) so coincident nodes split apart
    /// in different directions.
    public init(config: VivaldiConfig = .default, seed: UInt64) {
        precondition(config.dimensionality > 0, "Vivaldi: dimensionality must be positive")
        precondition(config.latencyFilterSamples > 0, "Vivaldi: latency filter needs at least one sample")
        precondition(config.adjustmentWindowSamples >= 0 && config.latencyFilterPeersMax > 0)
        self.config = config
        self.origin = Coordinate(config: config)
        self.coordinate = origin
        self.adjustmentSamples = Array(repeating: 0, count: config.adjustmentWindowSamples)
        self.rng = SplitMix(state: seed)
    }

    /// Number of peers whose recent RTTs are held for the latency filter.
    public var trackedPeerCount: Int { filters.count }

    /// Replaces the coordinate (e.g. restored from a snapshot). Returns false, changing nothing,
    /// if it does not fit this client's configuration or has non-finite components.
    @discardableResult
    public mutating func setCoordinate(_ new: Coordinate) -> Bool {
        guard fits(new) else { return false }
        coordinate = new
        return true
    }

    /// Feeds one RTT sample (seconds) from `node` whose coordinate is `other`. Ignores invalid
    /// input — a non-finite or wrongly sized coordinate, negative error or height, or an RTT that
    /// is not finite, ≤ 0 or above `rttMaxSeconds` — and returns false for it.
    @discardableResult
    public mutating func update(node: String, other: Coordinate, rttSeconds: Double) -> Bool {
        guard fits(other), other.error >= 0, other.height >= 0 else { return false }
        guard rttSeconds.isFinite, rttSeconds > 0, rttSeconds <= config.rttMaxSeconds else { return false }

        let filtered = filteredRTT(node: node, rttSeconds: rttSeconds)
        applyVivaldi(other: other, rttSeconds: filtered)
        applyAdjustment(other: other, rttSeconds: filtered)
        applyGravity()
        if !coordinate.hasFiniteComponents {
            resets += 1
            coordinate = origin
        }
        return true
    }

    /// Drops `node`'s latency samples (it left the pool).
    public mutating func forget(node: String) {
        filters[node] = nil
    }

    // MARK: - Update steps

    private func fits(_ c: Coordinate) -> Bool {
        c.vec.count == config.dimensionality && c.hasFiniteComponents
    }

    /// Median of the peer's last few RTTs, so one delayed probe does not yank the coordinate.
    private mutating func filteredRTT(node: String, rttSeconds: Double) -> Double {
        sampleSequence &+= 1
        var entry: PeerSamples
        if let existing = filters[node] {
            entry = existing
        } else {
            if filters.count >= config.latencyFilterPeersMax { evictLeastRecentlySampled() }
            entry = PeerSamples(rttsSeconds: [], lastSequence: 0)
        }
        entry.rttsSeconds.append(rttSeconds)
        if entry.rttsSeconds.count > config.latencyFilterSamples {
            entry.rttsSeconds.removeFirst(entry.rttsSeconds.count - config.latencyFilterSamples)
        }
        entry.lastSequence = sampleSequence
        filters[node] = entry
        let sorted = entry.rttsSeconds.sorted()
        return sorted[sorted.count / 2]
    }

    private mutating func evictLeastRecentlySampled() {
        // Sequences are unique, so the minimum is unique and eviction does not depend on the
        // dictionary's (per-process) iteration order.
        if let oldest = filters.min(by: { $0.value.lastSequence < $1.value.lastSequence }) {
            filters[oldest.key] = nil
        }
    }

    /// The Vivaldi step: move along the line to the peer by a fraction of the prediction error,
    /// weighted by how uncertain we are relative to the peer, and blend the error estimate.
    private mutating func applyVivaldi(other: Coordinate, rttSeconds: Double) {
        let rtt = max(rttSeconds, zeroThreshold)
        let predicted = coordinate.distance(to: other)
        let relativeError = abs(predicted - rtt) / rtt

        let totalError = max(coordinate.error + other.error, zeroThreshold)
        let weight = coordinate.error / totalError
        let errorShare = config.ce * weight
        coordinate.error = min(errorShare * relativeError + coordinate.error * (1 - errorShare), config.errorMax)

        let force = config.cc * weight * (rtt - predicted)
        applyForce(force, from: other)
    }

    /// Adjustment = half the mean residual (rtt − raw distance) over the window: a per-node offset
    /// for latency the Euclidean part cannot express.
    private mutating func applyAdjustment(other: Coordinate, rttSeconds: Double) {
        guard !adjustmentSamples.isEmpty else { return }
        adjustmentSamples[adjustmentNext] = rttSeconds - coordinate.rawDistance(to: other)
        adjustmentNext = (adjustmentNext + 1) % adjustmentSamples.count
        let sum = adjustmentSamples.reduce(0, +)
        coordinate.adjustment = sum / (2 * Double(adjustmentSamples.count))
    }

    /// A weak pull toward the origin, growing with the square of the distance from it.
    private mutating func applyGravity() {
        let fromOrigin = origin.distance(to: coordinate)
        let ratio = fromOrigin / config.gravityRho
        applyForce(-(ratio * ratio), from: origin)
    }

    /// Moves the coordinate by `force` seconds along the unit vector pointing from `other` to us
    /// (positive pushes away, negative pulls closer), and scales the height in proportion.
    private mutating func applyForce(_ force: Double, from other: Coordinate) {
        let (unit, length) = unitVector(from: other.vec, to: coordinate.vec)
        for i in coordinate.vec.indices {
            coordinate.vec[i] += unit[i] * force
        }
        if length > zeroThreshold {
            let height = coordinate.height + (coordinate.height + other.height) * force / length
            coordinate.height = max(height, config.heightMinSeconds)
        }
    }

    /// Unit vector from `a` toward `b` and the distance between them. When they (nearly)
    /// coincide, a random direction and a distance of 0.
    private mutating func unitVector(from a: [Double], to b: [Double]) -> ([Double], Double) {
        var diff = b
        for i in diff.indices { diff[i] -= a[i] }
        let length = magnitude(diff)
        if length > zeroThreshold {
            return (diff.map { $0 / length }, length)
        }
        var random = diff
        for i in random.indices { random[i] = rng.nextUnit() - 0.5 }
        let randomLength = magnitude(random)
        if randomLength > zeroThreshold {
            return (random.map { $0 / randomLength }, 0)
        }
        var axis = Array(repeating: 0.0, count: diff.count)
        axis[0] = 1
        return (axis, 0)
    }

    private func magnitude(_ v: [Double]) -> Double {
        v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}

/// SplitMix64: tiny, seedable, and a value, so the client stays a plain copyable struct.
private struct SplitMix: Sendable {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 53 bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
