/// A `matches` pattern compiled once at parse time with Swift's stdlib `Regex`, matched
/// unanchored (like Go's `regexp.Match`) at Unicode-scalar level (like RE2's runes).
struct FilterRegex: @unchecked Sendable {
    // Regex is immutable once built; it is only ever read.
    private let regex: Regex<AnyRegexOutput>

    /// Throws the stdlib's description of what is wrong with `pattern`.
    init(_ pattern: String) throws {
        regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
    }

    func matches(_ text: String) -> Bool {
        text.contains(regex)
    }
}
