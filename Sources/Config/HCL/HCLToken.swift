/// A 1-based line and column (columns count Unicode scalars, tabs count one).
struct HCLPosition: Equatable, Sendable {
    var line: Int
    var column: Int
}

/// One lexical token of HCL (v1, the subset Consul config files use). Newlines and comments
/// are not tokens: the grammar never needs them.
enum HCLTokenKind: Equatable, Sendable {
    case identifier(String)
    /// A quoted string, escapes already applied.
    case string(String)
    /// A heredoc's text (`<<EOF … EOF`), indentation already removed for `<<-`.
    case heredoc(String)
    /// A number as JSON text: integers in decimal (hex and octal converted), floats as written.
    case number(String)
    case leftBrace, rightBrace, leftBracket, rightBracket, equals, comma
    /// Not HCL; lexed only so the parser can say so after a key.
    case colon
    case endOfFile
}

struct HCLToken: Equatable, Sendable {
    var kind: HCLTokenKind
    var position: HCLPosition
}

/// A syntax problem at a place in the file; `HCLParser` turns it into a `ConfigError`.
struct HCLSyntaxError: Error, Equatable, Sendable {
    var position: HCLPosition
    var message: String
    var description: String { "At \(position.line):\(position.column): \(message)" }
}

extension HCLTokenKind {
    /// The text of a token that can be a key or block label: an identifier or a quoted string.
    var keyText: String? {
        switch self {
        case .identifier(let s), .string(let s): return s
        default: return nil
        }
    }

    /// How an error message names what was found.
    var described: String {
        switch self {
        case .identifier(let s): return "identifier \(s)"
        case .string(let s): return "string \(hclQuoted(s))"
        case .heredoc: return "heredoc"
        case .number(let n): return "number \(n)"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .equals: return "'='"
        case .comma: return "','"
        case .colon: return "':'"
        case .endOfFile: return "end of file"
        }
    }
}

/// A key as error messages quote it.
func hclQuoted(_ s: String) -> String { "\"\(s)\"" }
