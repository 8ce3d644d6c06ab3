/// Go's `time.ParseDuration` grammar (`300ms`, `1h30m`, `-2.5s`), in nanoseconds.
/// Consul reads `wait`, check intervals and TTLs this way; a bare number other than `0` is invalid.
public enum GoDuration {
    public static let nanosecond: Int64 = 1
    public static let microsecond: Int64 = 1_000
    public static let millisecond: Int64 = 1_000_000
    public static let second: Int64 = 1_000_000_000
    public static let minute: Int64 = 60 * second
    public static let hour: Int64 = 60 * minute

    public static func parse(_ text: String) -> Int64? {
        var s = Substring(text)
        var negative = false
        if let f = s.first, f == "-" || f == "+" { negative = f == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        // Integers as in Go's time.ParseDuration, so `1.001s` is exactly 1001000000 (a Double is off by one).
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while !s.isEmpty {
            let wholeDigits = s.prefix { $0.isASCII && $0.isNumber }
            var whole: UInt64 = 0
            for d in wholeDigits.utf8 {
                let (shifted, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = shifted.addingReportingOverflow(UInt64(d - 48))
                guard !o1, !o2, sum <= limit else { return nil }
                whole = sum
            }
            s = s.dropFirst(wholeDigits.count)
            var fraction: UInt64 = 0, scale: Double = 1, fractionDigits = 0
            if s.first == "." {
                s = s.dropFirst()
                let digits = s.prefix { $0.isASCII && $0.isNumber }
                var overflow = false
                for d in digits.utf8 where !overflow {
                    let next = fraction > (limit - 1) / 10 ? limit + 1 : fraction * 10 + UInt64(d - 48)
                    if next > limit { overflow = true } else { fraction = next; scale *= 10 }
                }
                fractionDigits = digits.count
                s = s.dropFirst(digits.count)
            }
            guard !wholeDigits.isEmpty || fractionDigits > 0 else { return nil }
            let unitText = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            s = s.dropFirst(unitText.count)
            guard let unit = unitNanos(unitText).map(UInt64.init), whole <= limit / unit else { return nil }
            var value = whole * unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                guard value <= limit else { return nil }
            }
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow, sum <= limit else { return nil }
            total = sum
        }
        if negative { return total == limit ? Int64.min : -Int64(total) }
        return total < limit ? Int64(total) : nil
    }

    private static func unitNanos(_ unit: Substring) -> Int64? {
        switch unit {
        case "ns": return nanosecond
        case "us", "µs", "μs": return microsecond
        case "ms": return millisecond
        case "s": return second
        case "m": return minute
        case "h": return hour
        default: return nil
        }
    }

    /// Go's `Duration.String()` (`5m0s`, `1.5s`, `100ms`, `0s`).
    public static func format(_ nanos: Int64) -> String {
        if nanos == 0 { return "0s" }
        let negative = nanos < 0
        let n = negative ? UInt64(-(nanos + 1)) + 1 : UInt64(nanos)
        var out: String
        if n < UInt64(second) {
            let (unit, scale): (String, UInt64) = n < 1_000 ? ("ns", 1) : n < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            out = fraction(n, scale) + unit
        } else {
            let hours = n / UInt64(hour)
            let minutes = n / UInt64(minute) % 60
            let secs = fraction(n % UInt64(minute), UInt64(second))
            out = ""
            if hours > 0 { out += "\(hours)h" }
            if hours > 0 || minutes > 0 { out += "\(minutes)m" }
            out += secs + "s"
        }
        return negative ? "-" + out : out
    }

    private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
        let whole = value / scale
        var rest = value % scale
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var s = scale / 10
        while rest > 0 && s > 0 {
            digits.append(Character(String(rest / s)))
            rest %= s
            s /= 10
        }
        return "\(whole).\(digits)"
    }
}
