/// Splits filter text into tokens. Whitespace (space, tab, CR, LF) only separates tokens.
/// String literals follow Go's `strconv.Unquote`, as go-bexpr does: `"..."` takes Go escapes
/// (plus `\"`, which go-bexpr cannot express), `` `...` `` is raw with carriage returns dropped.
struct FilterLexer {
    private let scalars: [Unicode.Scalar]
    private var i = 0
    private var tokens: [FilterToken] = []

    static func tokenize(_ scalars: [Unicode.Scalar]) throws(FilterError) -> [FilterToken] {
        var lexer = FilterLexer(scalars: scalars)
        try lexer.run()
        return lexer.tokens
    }

    private init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    private func error(_ message: String, at index: Int) -> FilterError {
        FilterError(message, at: index, in: scalars)
    }

    private var current: Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }

    private mutating func run() throws(FilterError) {
        while let c = current {
            let start = i
            switch c {
            case " ", "\t", "\r", "\n": i += 1; continue
            case "(": i += 1; emit(.leftParen, start)
            case ")": i += 1; emit(.rightParen, start)
            case "[": i += 1; emit(.leftBracket, start)
            case "]": i += 1; emit(.rightBracket, start)
            case ".": i += 1; emit(.dot, start)
            case "=", "!":
                guard i + 1 < scalars.count, scalars[i + 1] == "=" else {
                    throw error("unexpected character '\(c)'; did you mean '\(c == "=" ? "==" : "!=")'?", at: start)
                }
                i += 2
                emit(c == "=" ? .equal : .notEqual, start)
            case "\"": emit(.string(try doubleQuoted()), start)
            case "`": emit(.string(try backticked()), start)
            case "-", "0"..."9": emit(.number(try number()), start)
            default:
                guard c.isASCIILetter else { throw error("unexpected character '\(c)'", at: start) }
                while let d = current, d.isASCIILetter || d.isASCIIDigit || d == "_" || d == "/" || d == "-" { i += 1 }
                emit(.word(text(start..<i)), start)
            }
        }
        emit(.end, scalars.count)
    }

    private mutating func emit(_ kind: FilterToken.Kind, _ position: Int) {
        tokens.append(FilterToken(kind: kind, position: position))
    }

    private func text(_ range: Range<Int>) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars[range])
        return s
    }

    /// A number literal; right after a `.` only digits (a list index such as `Tags.0`).
    private mutating func number() throws(FilterError) -> String {
        let start = i
        if tokens.last?.kind == .dot {
            while let d = current, d.isASCIIDigit { i += 1 }
            guard i > start else { throw error("invalid number literal", at: start) }
            return text(start..<i)
        }
        if current == "-" { i += 1 }
        let intStart = i
        while let d = current, d.isASCIIDigit { i += 1 }
        var valid = i > intStart && (scalars[intStart] != "0" || i - intStart == 1)
        if valid, current == ".", i + 1 < scalars.count, scalars[i + 1].isASCIIDigit {
            i += 1
            while let d = current, d.isASCIIDigit { i += 1 }
        }
        // go-bexpr: a number must be followed by whitespace, ')' or the end.
        if let next = current, !(next == " " || next == "\t" || next == "\r" || next == "\n" || next == ")") {
            valid = false
        }
        guard valid else { throw error("invalid number literal", at: start) }
        return text(start..<i)
    }

    private mutating func backticked() throws(FilterError) -> String {
        let open = i
        i += 1
        var out = ""
        while let c = current {
            i += 1
            if c == "`" { return out }
            if c != "\r" { out.unicodeScalars.append(c) }
        }
        throw error("unterminated string literal", at: open)
    }

    /// Go escapes: `\a \b \f \n \r \t \v \\ \"`, `\xHH` and `\OOO` (bytes), `\uHHHH`, `\UHHHHHHHH`.
    private mutating func doubleQuoted() throws(FilterError) -> String {
        let open = i
        i += 1
        var bytes: [UInt8] = []
        while let c = current {
            i += 1
            if c == "\"" { return String(decoding: bytes, as: UTF8.self) }
            guard c == "\\" else { bytes.append(contentsOf: utf8Bytes(c)); continue }
            let escapeStart = i - 1
            guard let e = current else { break }
            i += 1
            switch e {
            case "a": bytes.append(7)
            case "b": bytes.append(8)
            case "f": bytes.append(12)
            case "n": bytes.append(10)
            case "r": bytes.append(13)
            case "t": bytes.append(9)
            case "v": bytes.append(11)
            case "\\", "\"": bytes.append(UInt8(e.value))
            case "x":
                guard let v = digits(2, radix: 16) else { throw error("invalid escape '\\x' in string literal", at: escapeStart) }
                bytes.append(UInt8(v))
            case "0"..."7":
                i -= 1
                guard let v = digits(3, radix: 8), v <= 255 else {
                    throw error("invalid octal escape in string literal", at: escapeStart)
                }
                bytes.append(UInt8(v))
            case "u", "U":
                guard let v = digits(e == "u" ? 4 : 8, radix: 16), let scalar = Unicode.Scalar(v) else {
                    throw error("invalid escape '\\\(e)' in string literal", at: escapeStart)
                }
                bytes.append(contentsOf: utf8Bytes(scalar))
            default:
                throw error("invalid escape '\\\(e)' in string literal", at: escapeStart)
            }
        }
        throw error("unterminated string literal", at: open)
    }

    /// Exactly `count` digits in `radix`, or nil.
    private mutating func digits(_ count: Int, radix: UInt32) -> UInt32? {
        guard i + count <= scalars.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<count {
            guard let d = scalars[i + k].digitValue(radix: radix) else { return nil }
            v = v * radix + d
        }
        i += count
        return v
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }

    fileprivate func digitValue(radix: UInt32) -> UInt32? {
        let d: UInt32
        switch self {
        case "0"..."9": d = value - 48
        case "a"..."f": d = value - 87
        case "A"..."F": d = value - 55
        default: return nil
        }
        return d < radix ? d : nil
    }
}

private func utf8Bytes(_ scalar: Unicode.Scalar) -> [UInt8] {
    Array(String(Character(scalar)).utf8)
}
