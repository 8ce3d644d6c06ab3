/// One metric's observations within one interval, as go-metrics aggregates them: count, sum,
/// sum of squares, min and max (a counter's increments and a timer's durations alike).
public struct Aggregate: Equatable, Sendable {
    public var count = 0
    public var sum = 0.0
    public var sumOfSquares = 0.0
    public var min = 0.0
    public var max = 0.0

    public init() {}

    @inline(__always)
    public mutating func add(_ value: Double) {
        if count == 0 || value < min { min = value }
        if count == 0 || value > max { max = value }
        count += 1
        sum += value
        sumOfSquares += value * value
    }

    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// The sample standard deviation (n − 1), 0 below two observations.
    public var standardDeviation: Double {
        let n = Double(count)
        guard count > 1 else { return 0 }
        let variance = (n * sumOfSquares - sum * sum) / (n * (n - 1))
        return variance > 0 ? variance.squareRoot() : 0
    }
}
