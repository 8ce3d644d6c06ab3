/// Logarithms without libm (tier-1 modules import neither Glibc nor Foundation).
enum GossipMath {
    static let ln2 = 0.6931471805599453
    static let ln10 = 2.302585092994046

    /// Natural logarithm for x > 0: x = m·2^e with m in [1, 2), ln m by the atanh series.
    static func ln(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "ln of \(x)")
        let e = Double(x.exponent)
        let m = x.significand
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t, sum = 0.0, k = 1.0
        for _ in 0..<40 {
            sum += term / k
            term *= t2
            k += 2
        }
        return e * ln2 + 2 * sum
    }

    static func log10(_ x: Double) -> Double { ln(x) / ln10 }
}
