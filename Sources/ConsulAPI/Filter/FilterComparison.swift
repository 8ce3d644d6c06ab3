/// How a filter value (always text, as in go-bexpr) compares with a JSON value: the JSON side's
/// type decides how the text is read.
enum FilterComparison {
    /// Strings compare byte for byte; numbers numerically (`80`, `"80"` and `80.0` equal `80`);
    /// bools take Go's `strconv.ParseBool` spellings (`true`, `T`, `1`, ...). Null, lists and
    /// objects equal nothing.
    static func equals(_ node: JSONValue, _ text: String) -> Bool {
        switch node {
        case .string(let s): return s.utf8.elementsEqual(text.utf8)
        case .number(let n): return numbersEqual(n, text)
        case .bool(let b): return parseGoBool(text) == b
        case .null, .array, .object: return false
        }
    }

    /// A list holds an equal element; a string holds the text as a substring; an object has the
    /// text as a key (exactly). Anything else contains nothing.
    static func contains(_ node: JSONValue, _ text: String) -> Bool {
        switch node {
        case .array(let elements): return elements.contains { equals($0, text) }
        case .string(let s): return hasSubstring(Array(s.utf8), Array(text.utf8))
        case .object(let members): return members.contains { $0.0.utf8.elementsEqual(text.utf8) }
        case .null, .bool, .number: return false
        }
    }

    /// Empty strings, lists and objects, and null (an absent value). Numbers and bools never are.
    static func isEmpty(_ node: JSONValue) -> Bool {
        switch node {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        case .bool, .number: return false
        }
    }

    static func numbersEqual(_ a: String, _ b: String) -> Bool {
        if let x = Int64(a), let y = Int64(b) { return x == y }
        if let x = UInt64(a), let y = UInt64(b) { return x == y }
        // Doubles only for numeric-looking text, so "nan" or "inf" never equal anything.
        guard looksNumeric(a), looksNumeric(b), let x = Double(a), let y = Double(b) else { return false }
        return x == y
    }

    private static func looksNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 69 || $0 == 101 }
    }

    static func parseGoBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    private static func hasSubstring(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
