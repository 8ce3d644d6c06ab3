import ConsulAPI

/// Parses HCL (the v1-style subset Consul config files use) into the JSON document a user
/// would have written, so the rest of config loading is shared with `.json` files:
///
///     ports { http = 8500 }          →  "ports": {"http": 8500}
///     service { name = "web" }       →  "service": {"name": "web"}
///     service {…}  service {…}       →  "service": [{…}, {…}]
///     service "web" { port = 80 }    →  "service": {"web": {"port": 80}}
///     watches = [{ type = "key" }]   →  "watches": [{"type": "key"}]
///
/// A document whose first non-space character is `{` is JSON, as HCL's decoder decides.
public enum HCLParser {
    /// Objects and lists nested deeper than this are refused.
    public static let depthMax = 128

    public static func parse(_ bytes: [UInt8], path: String) throws(ConfigError) -> JSONValue {
        if bytes.first(where: { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }) == UInt8(ascii: "{") {
            do { return try JSONParser.parse(bytes) } catch { throw ConfigError("Error parsing \(path): \(error)") }
        }
        do {
            var parser = try HCLTokenParser(bytes)
            return try parser.document()
        } catch {
            throw ConfigError("Error parsing \(path): \(error.description)")
        }
    }
}

/// Recursive descent over `HCLLexer` tokens with one token of lookahead.
struct HCLTokenParser {
    private var lexer: HCLLexer
    private var token: HCLToken
    private var depth = 0

    init(_ bytes: [UInt8]) throws(HCLSyntaxError) {
        lexer = HCLLexer(bytes)
        token = try lexer.next()
    }

    mutating func document() throws(HCLSyntaxError) -> JSONValue {
        try body(openedAt: nil)
    }

    private mutating func advance() throws(HCLSyntaxError) { token = try lexer.next() }

    private func fail(_ message: String, at position: HCLPosition? = nil) -> HCLSyntaxError {
        HCLSyntaxError(position: position ?? token.position, message: message)
    }

    /// Items up to the `}` matching the `{` at `openedAt`, or to the end of the file at top level.
    /// Items are separated by newlines or commas.
    private mutating func body(openedAt open: HCLPosition?) throws(HCLSyntaxError) -> JSONValue {
        var members = HCLMembers()
        while true {
            switch token.kind {
            case .rightBrace where open != nil:
                try advance()
                return members.object
            case .endOfFile where open == nil:
                return members.object
            case .endOfFile:
                throw fail("expected '}' to close the object opened at \(open!.line):\(open!.column), found end of file")
            case .identifier(let key), .string(let key):
                try advance()
                try item(key, into: &members)
                if token.kind == .comma { try advance() }
            default:
                throw fail("expected a key\(open == nil ? "" : " or '}'"), found \(token.kind.described)")
            }
        }
    }

    /// After a key: `= value`, `{ body }`, or labels then `{ body }` (`service "web" { … }`
    /// nests as `"service": {"web": {…}}`).
    private mutating func item(_ key: String, into members: inout HCLMembers) throws(HCLSyntaxError) {
        var labels: [(String, HCLToken)] = []
        while let label = token.kind.keyText {
            labels.append((label, token))
            try advance()
        }
        switch token.kind {
        case .equals where labels.isEmpty:
            try advance()
            members.add(key, try value(for: key))
        case .leftBrace:
            var object = try nestedBody()
            for (label, _) in labels.reversed() { object = .object([(label, object)]) }
            members.add(key, object)
        default:
            if let first = labels.first, case .identifier = first.1.kind {
                // `server true` — a bare word after a key is more likely a missing '=' than a label.
                throw fail("expected '=' or '{' after key \(hclQuoted(key))", at: first.1.position)
            }
            if !labels.isEmpty { throw fail("expected '{' after the labels of block \(hclQuoted(key))") }
            if token.kind == .colon { throw fail("expected '=' or '{' after key \(hclQuoted(key)) (HCL assigns with '=', not ':')") }
            throw fail("expected '=' or '{' after key \(hclQuoted(key))")
        }
    }

    /// `{ … }` starting at the current `{`.
    private mutating func nestedBody() throws(HCLSyntaxError) -> JSONValue {
        let open = token.position
        try enter()
        try advance()
        let object = try body(openedAt: open)
        depth -= 1
        return object
    }

    private mutating func enter() throws(HCLSyntaxError) {
        depth += 1
        if depth > HCLParser.depthMax { throw fail("objects and lists nested more than \(HCLParser.depthMax) deep") }
    }

    private mutating func value(for key: String) throws(HCLSyntaxError) -> JSONValue {
        let kind = token.kind
        switch kind {
        case .string(let s), .heredoc(let s):
            try advance()
            return .string(s)
        case .number(let n):
            try advance()
            return .number(n)
        case .identifier("true"), .identifier("false"):
            try advance()
            return .bool(kind == .identifier("true"))
        case .identifier(let word):
            throw fail("expected a value for key \(hclQuoted(key)), found bare word \(word) (strings must be quoted)")
        case .leftBracket:
            return try list(for: key)
        case .leftBrace:
            return try nestedBody()
        default:
            throw fail("expected a value (string, number, bool, list or object) for key \(hclQuoted(key)), found \(kind.described)")
        }
    }

    /// `[a, b,]`: commas between elements, one allowed after the last.
    private mutating func list(for key: String) throws(HCLSyntaxError) -> JSONValue {
        let open = token.position
        try enter()
        try advance()
        var elements: [JSONValue] = []
        while token.kind != .rightBracket {
            elements.append(try value(for: "\(key)[\(elements.count)]"))
            if token.kind == .comma { try advance(); continue }
            guard token.kind == .rightBracket else {
                throw fail("expected ',' or ']' in the list for key \(hclQuoted(key)) opened at \(open.line):\(open.column), found \(token.kind.described)")
            }
        }
        try advance()
        depth -= 1
        return .array(elements)
    }
}
