/// Recursive descent over the tokens, precedence `not` > `and` > `or`:
///
///     or    := and ("or" and)*
///     and   := unary ("and" unary)*
///     unary := "not" unary | "(" or ")" | match
///     match := sel ("==" | "!=") val | sel "is" ["not"] "empty"
///            | val ["not"] "in" sel | sel ["not"] ("contains" | "matches") val
///     sel   := word ("." word | "." digits | "[" string "]")*
///     val   := string | number | sel (a bare word, taken as its text)
struct FilterParser {
    private let scalars: [Unicode.Scalar]
    private let tokens: [FilterToken]
    private var i = 0
    private var unaryNesting = 0

    /// The deepest expression tree accepted, and the most steps in one selector.
    static let depthMax = 256
    static let selectorPartsMax = 128

    static func parse(_ text: String) throws(FilterError) -> FilterExpression {
        let scalars = Array(text.unicodeScalars)
        var parser = FilterParser(scalars: scalars, tokens: try FilterLexer.tokenize(scalars))
        let expression = try parser.parseOr().expression
        guard parser.peek.kind == .end else {
            throw parser.error("unexpected \(parser.peek.display) after a complete expression", at: parser.peek)
        }
        return expression
    }

    private init(scalars: [Unicode.Scalar], tokens: [FilterToken]) {
        self.scalars = scalars
        self.tokens = tokens
    }

    private var peek: FilterToken { tokens[i] }
    private var peekNext: FilterToken { tokens[min(i + 1, tokens.count - 1)] }

    private mutating func next() -> FilterToken {
        let token = tokens[i]
        if token.kind != .end { i += 1 }
        return token
    }

    private func error(_ message: String, at token: FilterToken) -> FilterError {
        FilterError(message, at: token.position, in: scalars)
    }

    /// Each result carries its tree depth, capped at `depthMax`: filters arrive in request URLs,
    /// and evaluating, comparing and freeing the tree all recurse.
    private typealias Parsed = (expression: FilterExpression, depth: Int)

    private func checkDepth(_ depth: Int, at token: FilterToken) throws(FilterError) {
        if depth > FilterParser.depthMax {
            throw error("expression too deeply nested (more than \(FilterParser.depthMax) levels of operators)", at: token)
        }
    }

    private mutating func parseOr() throws(FilterError) -> Parsed {
        var lhs = try parseAnd()
        while peek.isWord("or") {
            let op = next()
            let rhs = try parseAnd()
            lhs = (.or(lhs.expression, rhs.expression), max(lhs.depth, rhs.depth) + 1)
            try checkDepth(lhs.depth, at: op)
        }
        return lhs
    }

    private mutating func parseAnd() throws(FilterError) -> Parsed {
        var lhs = try parseUnary()
        while peek.isWord("and") {
            let op = next()
            let rhs = try parseUnary()
            lhs = (.and(lhs.expression, rhs.expression), max(lhs.depth, rhs.depth) + 1)
            try checkDepth(lhs.depth, at: op)
        }
        return lhs
    }

    private mutating func parseUnary() throws(FilterError) -> Parsed {
        unaryNesting += 1
        defer { unaryNesting -= 1 }
        // Bounds the parser's own recursion before any subtree exists to measure.
        try checkDepth(unaryNesting, at: peek)
        if peek.isWord("not") {
            _ = next()
            let operand = try parseUnary()
            return (.not(operand.expression), operand.depth + 1)
        }
        if peek.kind == .leftParen {
            let open = next()
            let inner = try parseOr()
            guard peek.kind == .rightParen else {
                let at = FilterError("", at: open.position, in: scalars)
                throw error("expected ')' to close the '(' at \(at.line):\(at.column), found \(peek.display)", at: peek)
            }
            _ = next()
            return inner
        }
        return (.match(try parseMatch()), 1)
    }

    /// What stands left of a match operator: a selector (which may also serve as a bare value) or a literal.
    private enum Operand {
        case selector(FilterSelector)
        case literal(String, FilterToken)
    }

    private mutating func parseMatch() throws(FilterError) -> FilterMatch {
        let operand: Operand
        switch peek.kind {
        case .string(let s), .number(let s): operand = .literal(s, next())
        case .word where !peek.isWord("and") && !peek.isWord("or"): operand = .selector(try parseSelector())
        default: throw error("expected a selector or value, found \(peek.display)", at: peek)
        }

        let opToken = peek
        switch opToken.kind {
        case .equal, .notEqual:
            let selector = try requireSelector(operand, before: opToken)
            _ = next()
            return FilterMatch(selector: selector, op: opToken.kind == .equal ? .equal : .notEqual,
                               value: try parseValue(after: opToken))
        case .word("is"):
            let selector = try requireSelector(operand, before: opToken)
            _ = next()
            if peek.isWord("empty") { _ = next(); return FilterMatch(selector: selector, op: .isEmpty, value: nil) }
            if peek.isWord("not"), peekNext.isWord("empty") {
                _ = next(); _ = next()
                return FilterMatch(selector: selector, op: .isNotEmpty, value: nil)
            }
            throw error("expected 'empty' or 'not empty' after 'is', found \(peek.display)", at: peek)
        case .word("in"):
            _ = next()
            return FilterMatch(selector: try parseSelector(after: opToken), op: .in, value: valueText(operand))
        case .word("contains"), .word("matches"):
            _ = next()
            return try selectorOpValue(operand, opToken, negated: false)
        case .word("not"):
            let second = peekNext
            if second.isWord("in") {
                _ = next(); _ = next()
                return FilterMatch(selector: try parseSelector(after: second), op: .notIn, value: valueText(operand))
            }
            if second.isWord("contains") || second.isWord("matches") {
                _ = next(); _ = next()
                return try selectorOpValue(operand, second, negated: true)
            }
            throw error("expected 'in', 'contains' or 'matches' after 'not', found \(second.display)", at: second)
        default:
            switch operand {
            case .selector(let selector):
                throw error("expected an operator (==, !=, is empty, is not empty, in, not in, contains, not contains, "
                    + "matches, not matches) after selector '\(selector)', found \(opToken.display)", at: opToken)
            case .literal(_, let token):
                throw error("expected 'in' or 'not in' after \(token.display), found \(opToken.display)", at: opToken)
            }
        }
    }

    /// `sel contains val`, `sel matches val` and their `not` forms; `opToken` is the operator word.
    private mutating func selectorOpValue(_ operand: Operand, _ opToken: FilterToken, negated: Bool) throws(FilterError) -> FilterMatch {
        let selector = try requireSelector(operand, before: opToken)
        let valueToken = peek
        let value = try parseValue(after: opToken)
        guard opToken.isWord("matches") else {
            return FilterMatch(selector: selector, op: negated ? .notContains : .contains, value: value)
        }
        let regex: FilterRegex
        do { regex = try FilterRegex(value) } catch {
            throw self.error("invalid regular expression \"\(value)\": \(error)", at: valueToken)
        }
        return FilterMatch(selector: selector, op: negated ? .notMatches : .matches, value: value, regex: regex)
    }

    private func requireSelector(_ operand: Operand, before opToken: FilterToken) throws(FilterError) -> FilterSelector {
        switch operand {
        case .selector(let selector): return selector
        case .literal(_, let token):
            throw error("expected a selector before \(opToken.display), found \(token.display)", at: token)
        }
    }

    private func valueText(_ operand: Operand) -> String {
        switch operand {
        case .selector(let selector): return selector.description
        case .literal(let text, _): return text
        }
    }

    /// A value: a string or number literal, or a bare word (its selector text, as go-bexpr takes it).
    private mutating func parseValue(after opToken: FilterToken) throws(FilterError) -> String {
        switch peek.kind {
        case .string(let s), .number(let s): _ = next(); return s
        case .word: return try parseSelector().description
        default: throw error("expected a value after \(opToken.display), found \(peek.display)", at: peek)
        }
    }

    private mutating func parseSelector(after opToken: FilterToken) throws(FilterError) -> FilterSelector {
        guard case .word = peek.kind else {
            throw error("expected a selector after \(opToken.display), found \(peek.display)", at: peek)
        }
        return try parseSelector()
    }

    /// Called with a word at `peek`.
    private mutating func parseSelector() throws(FilterError) -> FilterSelector {
        guard case .word(let first) = next().kind else { preconditionFailure("parseSelector needs a word") }
        var path: [FilterPathPart] = [.field(first)]
        while true {
            switch peek.kind {
            case .dot:
                _ = next()
                switch peek.kind {
                case .word(let name), .number(let name): _ = next(); path.append(.field(name))
                default: throw error("expected a name after '.', found \(peek.display)", at: peek)
                }
            case .leftBracket:
                _ = next()
                guard case .string(let key) = peek.kind else {
                    throw error("expected a quoted key inside '[ ]', found \(peek.display)", at: peek)
                }
                _ = next()
                guard peek.kind == .rightBracket else {
                    throw error("expected ']' to close the index, found \(peek.display)", at: peek)
                }
                _ = next()
                path.append(.key(key))
            default:
                return FilterSelector(path)
            }
            if path.count > FilterParser.selectorPartsMax {
                throw error("selector has more than \(FilterParser.selectorPartsMax) parts", at: peek)
            }
        }
    }
}
