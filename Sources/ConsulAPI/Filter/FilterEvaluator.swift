/// Evaluates a filter against the JSON form of one element (PascalCase field names, as the
/// endpoint returns it).
///
/// Selector resolution, step by step:
/// - on an object, `.Name` takes the member of that exact name, else the first case-insensitive
///   match; `["key"]` takes the exact key only (map keys are data);
/// - on a list, a numeric step (`Tags.0`) indexes it; any other step applies the rest of the
///   match to every element and succeeds if one does (go-bexpr's implicit "any", as in
///   `Checks.Status == critical`);
/// - anything else (a missing member, `null`, a scalar) leaves the selector unresolved, which
///   evaluates like `null`.
///
/// Every negated operator is the exact negation of its positive form on the resolved value, so a
/// missing field gives `==` false, `!=` true, `is empty` true, `in`/`contains`/`matches` false —
/// go-bexpr's result for a missing map key. (go-bexpr refuses unknown struct fields with an
/// error; a JSON element cannot tell fields from map keys, so here they simply do not match.)
extension FilterExpression {
    public func matches(_ value: JSONValue) -> Bool {
        switch self {
        case let .or(l, r): return l.matches(value) || r.matches(value)
        case let .and(l, r): return l.matches(value) && r.matches(value)
        case let .not(e): return !e.matches(value)
        case let .match(m): return m.matches(value, from: 0)
        }
    }
}

extension FilterMatch {
    /// Applies the match to `node`, which `selector.path[..<depth]` already reached.
    fileprivate func matches(_ node: JSONValue, from depth: Int) -> Bool {
        guard depth < selector.path.count else { return apply(to: node) }
        let part = selector.path[depth]
        switch node {
        case .object:
            let child: JSONValue?
            switch part {
            case .field(let name): child = node.member(name)
            case .key(let key): child = node[key]
            }
            return matches(child ?? .null, from: depth + 1)
        case .array(let elements):
            if case .field(let name) = part, let index = Int(name), name.allSatisfy(\.isASCIIDigitCharacter) {
                return matches(index < elements.count ? elements[index] : .null, from: depth + 1)
            }
            return elements.contains { matches($0, from: depth) }
        case .null, .bool, .number, .string:
            return apply(to: .null)
        }
    }

    /// The operator on the selected value.
    private func apply(to node: JSONValue) -> Bool {
        let positive: Bool
        switch op {
        case .equal, .notEqual: positive = FilterComparison.equals(node, value ?? "")
        case .isEmpty, .isNotEmpty: positive = FilterComparison.isEmpty(node)
        case .in, .notIn, .contains, .notContains: positive = FilterComparison.contains(node, value ?? "")
        case .matches, .notMatches:
            if case .string(let s) = node, let regex { positive = regex.matches(s) } else { positive = false }
        }
        return op.isNegated ? !positive : positive
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
