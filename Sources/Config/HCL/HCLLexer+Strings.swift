/// Quoted strings (Go escapes, `${…}` kept verbatim) and heredocs.
extension HCLLexer {
    /// `"…"` with Go's escapes. Inside `${…}` text is kept verbatim (quotes included), as HCL does.
    mutating func scanString(_ start: HCLPosition) throws(HCLSyntaxError) -> String {
        i += 1
        var out: [UInt8] = []
        var braces = 0
        while true {
            guard i < bytes.count, bytes[i] != 10 || braces > 0 else {
                throw HCLSyntaxError(position: start, message: "string not terminated: expected '\"' before the end of the line (use a heredoc for multi-line text)")
            }
            let c = bytes[i]
            if braces == 0 && c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "$") && peek(1) == UInt8(ascii: "{") {
                braces += 1
                out += [c, bytes[i + 1]]
                i += 2
                continue
            }
            if braces > 0 {
                if c == UInt8(ascii: "{") { braces += 1 } else if c == UInt8(ascii: "}") { braces -= 1 }
                out.append(c)
                if c == 10 { newline() } else { i += 1 }
                continue
            }
            if c == UInt8(ascii: "\\") {
                out += try scanEscape()
                continue
            }
            out.append(c)
            i += 1
        }
    }

    mutating func scanEscape() throws(HCLSyntaxError) -> [UInt8] {
        let at = here()
        i += 1
        guard i < bytes.count else { throw HCLSyntaxError(position: at, message: "string not terminated: expected '\"'") }
        let e = bytes[i]
        i += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12, UInt8(ascii: "n"): 10, UInt8(ascii: "r"): 13,
            UInt8(ascii: "t"): 9, UInt8(ascii: "v"): 11, UInt8(ascii: "\\"): 92, UInt8(ascii: "\""): 34,
        ]
        if let b = simple[e] { return [b] }
        switch e {
        case UInt8(ascii: "x"): return [UInt8(try digits(2, radix: 16, at))]
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            i -= 1
            let v = try digits(3, radix: 8, at)
            guard v <= 255 else { throw HCLSyntaxError(position: at, message: "octal escape value > 255") }
            return [UInt8(v)]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let v = try digits(e == UInt8(ascii: "u") ? 4 : 8, radix: 16, at)
            guard let scalar = Unicode.Scalar(v) else { throw HCLSyntaxError(position: at, message: "escape sequence is an invalid Unicode code point") }
            return Array(String(Character(scalar)).utf8)
        default:
            throw HCLSyntaxError(position: at, message: "invalid escape sequence \\\(describe(e)) in string")
        }
    }

    mutating func digits(_ count: Int, radix: UInt32, _ at: HCLPosition) throws(HCLSyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<count {
            guard i < bytes.count, let d = digitValue(bytes[i]), d < radix else {
                throw HCLSyntaxError(position: at, message: "invalid escape sequence: expected \(count) \(radix == 8 ? "octal" : "hex") digits")
            }
            v = v * radix + d
            i += 1
        }
        return v
    }

    // MARK: Heredocs

    /// `<<ANCHOR⏎ lines ⏎ANCHOR`; `<<-ANCHOR` also strips the terminator line's indentation
    /// from every line. The text ends with a newline, as in HCL.
    mutating func scanHeredoc(_ start: HCLPosition) throws(HCLSyntaxError) -> String {
        i += 2
        let indented = peek(0) == UInt8(ascii: "-")
        if indented { i += 1 }
        let from = i
        while i < bytes.count, isAlphanumeric(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        let anchor = Array(bytes[from..<i])
        guard !anchor.isEmpty else { throw HCLSyntaxError(position: here(), message: "expected a heredoc anchor after '<<'") }
        if peek(0) == 13 { i += 1 }
        guard peek(0) == 10 else { throw HCLSyntaxError(position: here(), message: "expected a newline after heredoc anchor \(String(decoding: anchor, as: UTF8.self))") }
        newline()
        var lines: [ArraySlice<UInt8>] = []
        while true {
            guard i < bytes.count else {
                throw HCLSyntaxError(position: start, message: "heredoc not terminated: expected a line \(String(decoding: anchor, as: UTF8.self))")
            }
            let lineFrom = i
            while i < bytes.count, bytes[i] != 10 { i += 1 }
            var text = bytes[lineFrom..<i]
            if text.last == 13 { text = text.dropLast() }
            let indentation = text.prefix { $0 == 32 || $0 == 9 }
            if Array(text.dropFirst(indentation.count)) == anchor {
                return heredocText(lines, stripping: indented ? Array(indentation) : [])
            }
            lines.append(text)
            if i < bytes.count { newline() }
        }
    }

    func heredocText(_ lines: [ArraySlice<UInt8>], stripping prefix: [UInt8]) -> String {
        let strip = !prefix.isEmpty && lines.allSatisfy { $0.isEmpty || $0.starts(with: prefix) }
        var out: [UInt8] = []
        for line in lines {
            out += strip ? line.dropFirst(min(prefix.count, line.count)) : line
            out.append(10)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
