/// One lexical unit of a filter expression. Keywords (`and`, `or`, `not`, `is`, `empty`, `in`,
/// `contains`, `matches`) are plain words: the parser gives them meaning by position.
struct FilterToken: Equatable {
    enum Kind: Equatable {
        /// `[A-Za-z][A-Za-z0-9_/-]*`: a selector name, a keyword or a bare value.
        case word(String)
        /// A double-quoted or backticked literal, already unescaped.
        case string(String)
        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, or plain digits right after a `.` (a list index).
        case number(String)
        case equal, notEqual, leftParen, rightParen, leftBracket, rightBracket, dot
        case end
    }

    let kind: Kind
    /// Index of the token's first Unicode scalar in the expression text.
    let position: Int

    /// How error messages name this token.
    var display: String {
        switch kind {
        case .word(let w): return "'\(w)'"
        case .string(let s): return "string \"\(s)\""
        case .number(let n): return "number \(n)"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .dot: return "'.'"
        case .end: return "end of input"
        }
    }

    func isWord(_ keyword: String) -> Bool {
        if case .word(let w) = kind { return w == keyword }
        return false
    }
}
