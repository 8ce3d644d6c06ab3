/// Turns HCL source bytes into tokens. Whitespace, newlines and comments (`#`, `//`, `/* */`)
/// are skipped; strings and heredocs (HCLLexer+Strings) and numbers (HCLLexer+Numbers) arrive
/// decoded.
struct HCLLexer {
    let bytes: [UInt8]
    /// The next byte to read.
    var i = 0
    private var line = 1
    /// The column of `columnOffset` on the current line, so positions cost O(1) amortized.
    private var columnOffset = 0
    private var column = 1

    private static let punctuation: [UInt8: HCLTokenKind] = [
        UInt8(ascii: "{"): .leftBrace, UInt8(ascii: "}"): .rightBrace, UInt8(ascii: "["): .leftBracket,
        UInt8(ascii: "]"): .rightBracket, UInt8(ascii: "="): .equals, UInt8(ascii: ","): .comma, UInt8(ascii: ":"): .colon,
    ]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3; columnOffset = 3 }  // UTF-8 byte-order mark
    }

    /// Where the next byte sits (columns count Unicode scalars).
    mutating func here() -> HCLPosition {
        for b in bytes[columnOffset..<i] where b & 0xC0 != 0x80 { column += 1 }
        columnOffset = i
        return HCLPosition(line: line, column: column)
    }

    /// Steps over the newline at `i`.
    mutating func newline() {
        i += 1
        line += 1
        columnOffset = i
        column = 1
    }

    mutating func next() throws(HCLSyntaxError) -> HCLToken {
        try skipSpaceAndComments()
        let start = here()
        guard i < bytes.count else { return HCLToken(kind: .endOfFile, position: start) }
        let c = bytes[i]
        if let kind = HCLLexer.punctuation[c] {
            i += 1
            return HCLToken(kind: kind, position: start)
        }
        if c == UInt8(ascii: "\"") { return HCLToken(kind: .string(try scanString(start)), position: start) }
        if c == UInt8(ascii: "<") && peek(1) == UInt8(ascii: "<") {
            return HCLToken(kind: .heredoc(try scanHeredoc(start)), position: start)
        }
        if isDigit(c) || (c == UInt8(ascii: "-") && peek(1).map(isDigit) == true) {
            return HCLToken(kind: .number(try scanNumber(start)), position: start)
        }
        if isIdentifierStart(c) {
            let from = i
            while i < bytes.count, isIdentifierPart(bytes[i]) { i += 1 }
            return HCLToken(kind: .identifier(String(decoding: bytes[from..<i], as: UTF8.self)), position: start)
        }
        throw HCLSyntaxError(position: start, message: "unexpected character '\(describe(c))'")
    }

    private mutating func skipSpaceAndComments() throws(HCLSyntaxError) {
        while i < bytes.count {
            let c = bytes[i]
            if c == 10 { newline(); continue }
            if c == 32 || c == 9 || c == 13 { i += 1; continue }
            if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while i < bytes.count, bytes[i] != 10 { i += 1 }
                continue
            }
            if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = here()
                i += 2
                while !(i < bytes.count && bytes[i] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) {
                    guard i < bytes.count else { throw HCLSyntaxError(position: start, message: "comment not terminated: expected '*/'") }
                    if bytes[i] == 10 { newline() } else { i += 1 }
                }
                i += 2
                continue
            }
            return
        }
    }

    // MARK: Byte classes

    func peek(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }
    func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    func isAlphanumeric(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 97 && c | 0x20 <= 122) }
    func isIdentifierStart(_ c: UInt8) -> Bool { (c | 0x20 >= 97 && c | 0x20 <= 122) || c == UInt8(ascii: "_") || c >= 0x80 }
    func isIdentifierPart(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }
    func digitValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 48...57: return UInt32(c - 48)
        case 97...102: return UInt32(c - 87)
        case 65...70: return UInt32(c - 55)
        default: return nil
        }
    }
    /// A byte as an error message shows it.
    func describe(_ c: UInt8) -> String {
        c >= 32 && c < 127 ? String(Character(Unicode.Scalar(c))) : "\\x" + String(c, radix: 16)
    }
}
