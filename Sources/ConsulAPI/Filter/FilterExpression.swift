/// A parsed Consul `?filter=` expression (the hashicorp/go-bexpr language).
/// `description` renders the tree fully parenthesised, values double-quoted.
public indirect enum FilterExpression: Equatable, Sendable, CustomStringConvertible {
    case or(FilterExpression, FilterExpression)
    case and(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case match(FilterMatch)

    /// Parses `text`; the error names what was wrong and where (`line:column (offset): message`).
    public static func parse(_ text: String) throws(FilterError) -> FilterExpression {
        try FilterParser.parse(text)
    }

    public var description: String {
        switch self {
        case let .or(l, r): return "(\(l) or \(r))"
        case let .and(l, r): return "(\(l) and \(r))"
        case let .not(e): return "not \(e)"
        case let .match(m): return m.description
        }
    }
}

/// The ten match operators. `contains` and `in` are one test written with the operands swapped.
public enum FilterOperator: String, Equatable, Sendable {
    case equal = "=="
    case notEqual = "!="
    case isEmpty = "is empty"
    case isNotEmpty = "is not empty"
    case `in` = "in"
    case notIn = "not in"
    case contains = "contains"
    case notContains = "not contains"
    case matches = "matches"
    case notMatches = "not matches"

    /// True for the `not`/`!=` forms, whose result is the negation of the positive form's.
    public var isNegated: Bool {
        switch self {
        case .notEqual, .isNotEmpty, .notIn, .notContains, .notMatches: return true
        case .equal, .isEmpty, .in, .contains, .matches: return false
        }
    }
}

/// One step of a selector: `.Name` (a field: exact name first, then case-insensitive) or
/// `["key"]` (a map key: exact only).
public enum FilterPathPart: Equatable, Sendable {
    case field(String)
    case key(String)
}

/// A path into the element, e.g. `Service.Meta["a-b"]`.
public struct FilterSelector: Equatable, Sendable, CustomStringConvertible {
    public let path: [FilterPathPart]

    public init(_ path: [FilterPathPart]) { self.path = path }

    public var description: String {
        var out = ""
        for part in path {
            switch part {
            case .field(let name): out += out.isEmpty ? name : "." + name
            case .key(let key): out += "[\"" + key.replacingBackslashesAndQuotes() + "\"]"
            }
        }
        return out
    }
}

/// `selector operator value`; `value` is the literal's text (nil for `is empty`/`is not empty`).
/// As in go-bexpr, a value has no type of its own: it is read as whatever the selected field is.
public struct FilterMatch: Equatable, Sendable, CustomStringConvertible {
    public let selector: FilterSelector
    public let op: FilterOperator
    public let value: String?
    /// Compiled at parse time for `matches`/`not matches`.
    let regex: FilterRegex?

    init(selector: FilterSelector, op: FilterOperator, value: String?, regex: FilterRegex? = nil) {
        self.selector = selector
        self.op = op
        self.value = value
        self.regex = regex
    }

    public static func == (lhs: FilterMatch, rhs: FilterMatch) -> Bool {
        lhs.selector == rhs.selector && lhs.op == rhs.op && lhs.value == rhs.value
    }

    public var description: String {
        let v = value.map { "\"" + $0.replacingBackslashesAndQuotes() + "\"" } ?? ""
        switch op {
        case .isEmpty, .isNotEmpty: return "\(selector) \(op.rawValue)"
        case .in, .notIn: return "\(v) \(op.rawValue) \(selector)"
        default: return "\(selector) \(op.rawValue) \(v)"
        }
    }
}

extension String {
    fileprivate func replacingBackslashesAndQuotes() -> String {
        var out = ""
        for c in unicodeScalars {
            if c == "\\" || c == "\"" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }
}
