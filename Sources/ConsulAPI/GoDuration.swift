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
        var total: Double = 0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unitText = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            s = s.dropFirst(unitText.count)
            guard let unit = unitNanos(unitText) else { return nil }
            total += value * Double(unit)
        }
        guard total < 9.2e18 else { return nil }
        return negative ? -Int64(total) : Int64(total)
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
