/// IMF-fixdate (`Wed, 25 Nov 2026 16:36:12 GMT`), the `Date` header's format.
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"] // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(unixSeconds: Int64) -> String {
        let c = CivilTime(unixSeconds: unixSeconds)
        // Floor division: a second before the epoch belongs to Wednesday, not to Thursday.
        let dayNumber = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let weekday = days[Int((dayNumber % 7 + 7) % 7)]
        return "\(weekday), \(pad2(c.day)) \(months[c.month - 1]) \(c.year) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)) GMT"
    }
}

/// A UTC calendar time from Unix seconds (Howard Hinnant's days-from-civil inverse).
public struct CivilTime: Equatable, Sendable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(unixSeconds: Int64) {
        let secs = Int(unixSeconds)
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = secs - days * 86_400
        hour = rem / 3600
        minute = rem % 3600 / 60
        second = rem % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `2026-11-25T16:36:12.123Z`, the timestamp Consul's logger prints.
    /// With `fractionDigits` (3: milliseconds, 6: microseconds as hclog's JSON lines).
    public static func iso8601(unixNanoseconds: Int64, fractionDigits: Int = 3) -> String {
        let seconds = unixNanoseconds >= 0 ? unixNanoseconds / 1_000_000_000 : (unixNanoseconds - 999_999_999) / 1_000_000_000
        let nanos = Int(unixNanoseconds - seconds * 1_000_000_000)
        var divisor = 1_000_000_000
        for _ in 0..<min(max(fractionDigits, 1), 9) { divisor /= 10 }
        let digits = String(nanos / divisor)
        let fraction = String(repeating: "0", count: max(0, min(max(fractionDigits, 1), 9) - digits.count)) + digits
        let c = CivilTime(unixSeconds: seconds)
        return "\(c.year)-\(pad2(c.month))-\(pad2(c.day))T\(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)).\(fraction)Z"
    }
}

@inline(__always) func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
