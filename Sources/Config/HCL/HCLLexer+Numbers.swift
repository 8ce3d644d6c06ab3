/// Numbers: Go ParseInt base-0 integers and decimal floats, as JSON number text.
extension HCLLexer {
    /// Integers (decimal, `0x` hex, leading-`0` octal, as Go's ParseInt base 0) become decimal
    /// text; floats keep their text.
    mutating func scanNumber(_ start: HCLPosition) throws(HCLSyntaxError) -> String {
        let from = i
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var radix = 10
        var isFloat = false
        if bytes[i] == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            radix = 16
            i += 2
            while i < bytes.count, let d = digitValue(bytes[i]), d < 16 { i += 1 }
        } else {
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            if peek(0) == UInt8(ascii: "."), let d = peek(1), isDigit(d) {
                isFloat = true
                i += 1
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if let e = peek(0), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                var j = i + 1
                if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
                if j < bytes.count, isDigit(bytes[j]) {
                    isFloat = true
                    i = j
                    while i < bytes.count, isDigit(bytes[i]) { i += 1 }
                }
            }
        }
        var text = String(decoding: bytes[from..<i], as: UTF8.self)
        if i < bytes.count, isIdentifierPart(bytes[i]) || bytes[i] == UInt8(ascii: ".") {
            while i < bytes.count, isIdentifierPart(bytes[i]) { i += 1 }
            text = String(decoding: bytes[from..<i], as: UTF8.self)
            throw HCLSyntaxError(position: start, message: "invalid number \(text) (durations and other text must be quoted)")
        }
        if isFloat { return text }
        var digits = Substring(text.dropFirst(negative ? 1 : 0))
        if radix == 16 { digits = digits.dropFirst(2) } else if digits.count > 1 && digits.first == "0" { radix = 8; digits = digits.dropFirst() }
        guard let magnitude = UInt64(digits, radix: radix),
              let value = negative ? (magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil)
                                   : Int64(exactly: magnitude)
        else { throw HCLSyntaxError(position: start, message: "invalid number \(text)\(radix == 8 ? " (a leading 0 means octal)" : "")") }
        return String(value)
    }
}
