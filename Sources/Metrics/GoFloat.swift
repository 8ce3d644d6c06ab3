/// Numbers as Go prints them, so metrics read the same as Consul's: Prometheus text uses
/// `strconv.FormatFloat(v, 'g', -1, 64)` (exponent form below 1e-4 and from 1e6 up), JSON
/// uses encoding/json's rule (plain decimals between 1e-6 and 1e21). Both take the shortest
/// digits that read back as the same Double, which Swift's own description also finds.
public enum GoFloat {
    /// Prometheus exposition: `1`, `0.5`, `1.234567e+06`, `1e-05`, `NaN`, `+Inf`.
    public static func prometheus(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let (negative, digits, point) = decompose(value)
        let exponent = point - 1
        let body = exponent < -4 || exponent >= 6 ? scientific(digits, exponent, cleanNegative: false) : plain(digits, point)
        return (negative ? "-" : "") + body
    }

    /// encoding/json: plain decimals for 1e-6 ≤ |v| < 1e21, otherwise `1e+21`, `1e-7`.
    public static func json(_ value: Double) -> String {
        guard value.isFinite else { return "0" }  // Go cannot encode these; never produced
        let (negative, digits, point) = decompose(value)
        let magnitude = abs(value)
        let body = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)
            ? scientific(digits, point - 1, cleanNegative: true) : plain(digits, point)
        return (negative ? "-" : "") + body
    }

    /// Go's `%f`: six decimals, no exponent (`1.500000`, `-0.000001`, `300000000.000000`).
    public static func fixed6(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        let magnitude = abs(value)
        guard magnitude < 9.2e18 else {
            let (negative, digits, point) = decompose(value)
            return (negative ? "-" : "") + plain(Array(digits.prefix(point)), point) + ".000000"
        }
        // The whole part and the fraction separately: both exact, so large values keep theirs.
        var whole = UInt64(magnitude.rounded(.down))
        var micros = UInt64(((magnitude - Double(whole)) * 1_000_000).rounded())
        if micros == 1_000_000 { whole += 1; micros = 0 }
        let fraction = String(micros)
        let sign = value < 0 && (whole != 0 || micros != 0) ? "-" : ""
        return sign + String(whole) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits, never an exponent.
    public static func plainShortest(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        let (negative, digits, point) = decompose(value)
        return (negative && !digits.isEmpty ? "-" : "") + plain(digits, point)
    }

    /// `|value| = 0.d₁d₂… × 10^point` with the shortest round-trip digits (none for zero).
    static func decompose(_ value: Double) -> (negative: Bool, digits: [UInt8], point: Int) {
        var text = Array(abs(value).description.utf8)
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
            text = Array(text[..<e])
        }
        var digits: [UInt8] = []
        var point = 0
        var seenDot = false
        for c in text {
            if c == UInt8(ascii: ".") { seenDot = true; continue }
            digits.append(c)
            if !seenDot { point += 1 }
        }
        // Leading zeros move the point; trailing zeros are not significant.
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { return (value.sign == .minus, [], 1) }
        return (value.sign == .minus, digits, point + exponent)
    }

    private static func plain(_ digits: [UInt8], _ point: Int) -> String {
        if digits.isEmpty { return "0" }
        var out: [UInt8] = []
        if point <= 0 {
            out += Array("0.".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: -point) + digits
        } else if point >= digits.count {
            out += digits + [UInt8](repeating: UInt8(ascii: "0"), count: point - digits.count)
        } else {
            out += digits[..<point] + [UInt8(ascii: ".")] + digits[point...]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func scientific(_ digits: [UInt8], _ exponent: Int, cleanNegative: Bool) -> String {
        var out = [digits[0]]
        if digits.count > 1 { out += [UInt8(ascii: ".")] + digits[1...] }
        out.append(UInt8(ascii: "e"))
        out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = String(abs(exponent))
        // Go writes at least two exponent digits; encoding/json drops the zero of e-07.
        if magnitude.count < 2 && !(cleanNegative && exponent < 0) { out.append(UInt8(ascii: "0")) }
        out += Array(magnitude.utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
