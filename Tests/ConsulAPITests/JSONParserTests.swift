import ConsulAPI
import Testing

/// Nested arrays `depth` deep: `[[[...]]]`.
private func nested(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

@Suite("JSONParser")
struct JSONParserTests {
    /// Proves a document with every value kind parses into the expected tree, member order kept.
    @Test func parsesAllKinds() throws {
        let value = try JSONParser.parse(" {\"b\": [1, -2.5e3, true, false, null, \"s\"], \"a\": {}, \"c\": []}\n\t")
        let expected = JSONValue.object([
            ("b", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("s")])),
            ("a", .object([])),
            ("c", .array([])),
        ])
        #expect(value == expected)
        #expect(value.objectValue?.map(\.0) == ["b", "a", "c"])
    }

    /// Proves numbers keep their literal text, so u64 indexes and big integers survive exactly.
    @Test func numbersKeptExact() throws {
        let max = try JSONParser.parse("18446744073709551615")
        #expect(max == .number("18446744073709551615"))
        #expect(max.uint64Value == UInt64.max)
        #expect(max.int64Value == nil)
        let huge = try JSONParser.parse("123456789012345678901234567890")
        #expect(huge == .number("123456789012345678901234567890"))
        #expect(huge.uint64Value == nil)
        #expect(try JSONParser.parse("-9223372036854775808").int64Value == Int64.min)
        #expect(try JSONParser.parse("-0") == .number("-0"))
        #expect(try JSONParser.parse("1E+2").doubleValue == 100)
        #expect(try JSONParser.parse("0.5").doubleValue == 0.5)
    }

    /// Proves string escapes decode, including `\u` escapes and surrogate pairs beyond the BMP.
    @Test func stringEscapes() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\u{8}\u{c}\n\r\tAé€😀"))
        #expect(try JSONParser.parse("\"é😀\"") == .string("é😀"))
    }

    /// Proves broken surrogates become U+FFFD without swallowing the character that follows, as Go does.
    @Test(arguments: [
        (#""\ud83d""#, "\u{FFFD}"),
        (#""\ude00x""#, "\u{FFFD}x"),
        (#""\ud83dx""#, "\u{FFFD}x"),
        (#""\ud83d\u0041""#, "\u{FFFD}A"),
        (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
    ])
    func brokenSurrogates(_ input: String, _ expected: String) throws {
        #expect(try JSONParser.parse(input) == .string(expected))
    }

    /// Proves the nesting limit: depthMax levels parse, one more is refused.
    @Test func depthLimit() throws {
        #expect(JSONParser.depthMax == 128)
        _ = try JSONParser.parse(nested(JSONParser.depthMax))
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(nested(JSONParser.depthMax + 1)) }
        #expect(error?.message == "exceeded max depth")
        let objects = String(repeating: "{\"a\":", count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(objects) }
        // Depth is nesting, not a count of containers: many siblings are fine.
        _ = try JSONParser.parse("[" + Array(repeating: "[]", count: 500).joined(separator: ",") + "]")
    }

    /// Proves malformed documents are refused.
    @Test(arguments: [
        "", "   ", "{", "[", "[1,]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{1:2}", "01", "1.", ".5", "-",
        "1e", "1e+", "+1", "tru", "nul", "True", "NaN", "'a'", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"",
        "\"a\u{1}b\"", "\"tab\there\"", "[1] x", "{} {}", "1 2", "nullx",
    ])
    func rejectsInvalid(_ input: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
    }

    /// Proves errors say what went wrong and where.
    @Test func errorCarriesOffsetAndMessage() {
        let trailing = #expect(throws: JSONParseError.self) { try JSONParser.parse("[1] x") }
        #expect(trailing?.message == "unexpected data after top-level value")
        #expect(trailing?.offset == 4)
        #expect(trailing?.description == "unexpected data after top-level value at offset 4")
        let escape = #expect(throws: JSONParseError.self) { try JSONParser.parse(#""\q""#) }
        #expect(escape?.message == "invalid escape in string")
        let end = #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,") }
        #expect(end?.message == "unexpected end of JSON input")
    }
}

@Suite("JSONValue accessors")
struct JSONValueTests {
    /// Proves `member` prefers an exact name, then falls back to the first case-insensitive match, as Go does.
    @Test func memberIsCaseInsensitive() throws {
        let value = try JSONParser.parse(#"{"Name":"first","name":"exact","TTL":"10s"}"#)
        #expect(value.member("name")?.stringValue == "exact")
        #expect(value.member("NAME")?.stringValue == "first")
        #expect(value.member("ttl")?.stringValue == "10s")
        #expect(value.member("missing") == nil)
        #expect(value["ttl"] == nil)
        #expect(value["TTL"]?.stringValue == "10s")
        #expect(JSONValue.array([]).member("a") == nil)
    }

    /// Proves the typed accessors return nil for other kinds.
    @Test func typedAccessors() {
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.number("1").stringValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.string("true").boolValue == nil)
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.bool(false).isNull)
        #expect(JSONValue.number("1.5").uint64Value == nil)
        #expect(JSONValue.number("-1").uint64Value == nil)
        #expect(JSONValue.array([.null]).arrayValue?.count == 1)
        #expect(JSONValue.object([]).arrayValue == nil)
    }

    /// Proves equality compares object members in order.
    @Test func equality() {
        #expect(JSONValue.object([("a", .null), ("b", .null)]) != .object([("b", .null), ("a", .null)]))
        #expect(JSONValue.number("1") != .number("1.0"))
        #expect(JSONValue.array([.string("x")]) == .array([.string("x")]))
    }
}
