import ConsulAPI
import Testing

@Suite("Filter parsing")
struct FilterParseTests {
    /// Proves valid expressions of every operator and selector form parse into the expected tree (rendered fully parenthesised).
    @Test(arguments: [
        ("Service == web", #"Service == "web""#),
        ("Service != \"web\"", #"Service != "web""#),
        ("Checks is empty", "Checks is empty"),
        ("Checks is not empty", "Checks is not empty"),
        (#""prod" in Tags"#, #""prod" in Tags"#),
        ("prod not in Tags", #""prod" not in Tags"#),
        ("Tags contains prod", #"Tags contains "prod""#),
        ("Tags not contains prod", #"Tags not contains "prod""#),
        (#"Name matches "^web""#, #"Name matches "^web""#),
        (#"Name not matches "^web""#, #"Name not matches "^web""#),
        ("Meta.env == prod", #"Meta.env == "prod""#),
        (#"ServiceMeta["a-b"] is not empty"#, #"ServiceMeta["a-b"] is not empty"#),
        (#"Service.Meta[ `x` ].deep == 1"#, #"Service.Meta["x"].deep == "1""#),
        ("Tags.0 == x", #"Tags.0 == "x""#),
        ("Port == 8080", #"Port == "8080""#),
        ("Port == -1.5", #"Port == "-1.5""#),
        ("Port == 0", #"Port == "0""#),
        ("EnableTagOverride == true", #"EnableTagOverride == "true""#),
        ("Foo == a.b", #"Foo == "a.b""#),
        ("Kind == connect-proxy", #"Kind == "connect-proxy""#),
        ("Path == a/b_c", #"Path == "a/b_c""#),
        (#"Meta["q\"k"] == x"#, #"Meta["q\"k"] == "x""#),
        ("not not Checks is empty", "not not Checks is empty"),
        ("((Service == web))", #"Service == "web""#),
        ("80 in Ports", #""80" in Ports"#),
    ])
    func parsesValid(_ text: String, _ rendered: String) throws {
        #expect(try FilterExpression.parse(text).description == rendered)
    }

    /// Proves `not` binds tighter than `and`, `and` tighter than `or`, chains group to the left, and parentheses override.
    @Test(arguments: [
        ("a == 1 or b == 2 and c == 3", #"(a == "1" or (b == "2" and c == "3"))"#),
        ("a == 1 and b == 2 or c == 3", #"((a == "1" and b == "2") or c == "3")"#),
        ("not a == 1 and b == 2", #"(not a == "1" and b == "2")"#),
        ("not a == 1 or b == 2", #"(not a == "1" or b == "2")"#),
        ("not (a == 1 or b == 2)", #"not (a == "1" or b == "2")"#),
        ("(a == 1 or b == 2) and c == 3", #"((a == "1" or b == "2") and c == "3")"#),
        ("a == 1 or b == 2 or c == 3", #"((a == "1" or b == "2") or c == "3")"#),
        ("a == 1 and b == 2 and c == 3", #"((a == "1" and b == "2") and c == "3")"#),
        ("a == 1 and not b == 2 or not (c == 3 and d == 4)", #"((a == "1" and not b == "2") or not (c == "3" and d == "4"))"#),
    ])
    func precedence(_ text: String, _ rendered: String) throws {
        #expect(try FilterExpression.parse(text).description == rendered)
    }

    /// Proves the parse tree itself, not just its rendering: `or` at the root, the `and` and `not` nodes beneath.
    @Test func treeShape() throws {
        let tree = try FilterExpression.parse("not A == 1 or B is empty and C == x")
        guard case let .or(left, right) = tree, case .not(.match(let a)) = left, case let .and(.match(b), .match(c)) = right else {
            Issue.record("unexpected tree \(tree)")
            return
        }
        #expect(a.selector == FilterSelector([.field("A")]) && a.op == .equal && a.value == "1")
        #expect(b.op == .isEmpty && b.value == nil)
        #expect(c.selector.path == [.field("C")] && c.value == "x")
    }

    /// Proves whitespace (spaces, tabs, CR, LF) is insignificant outside strings and needed nowhere around `==`/`!=`/parentheses.
    @Test(arguments: [
        "\n\tService==web\r\nand\tPort!=80 ",
        "(Service==web)and(Port!=80)",
        "  Service   ==   web   and   Port   !=   80  ",
    ])
    func whitespace(_ text: String) throws {
        let tree = try FilterExpression.parse(text)
        #expect(tree.description == #"(Service == "web" and Port != "80")"#)
    }

    /// Proves the quoting styles: Go escapes in double quotes, backticks taken raw (minus CR), bare words and numbers as their text.
    @Test(arguments: [
        (#"X == "a\tb""#, "a\tb"),
        (#"X == `a\tb`"#, #"a\tb"#),
        ("X == `a\r\nb`", "a\nb"),
        (#"X == "\"quoted\"""#, "\"quoted\""),
        (#"X == "a\\b""#, #"a\b"#),
        (#"X == "\u00e9\U0001F600""#, "é😀"),
        (#"X == "\x41\101""#, "AA"),
        (#"X == "\a\b\f\n\r\v""#, "\u{7}\u{8}\u{C}\n\r\u{B}"),
        (#"X == "é""#, "é"),
        (#"X == """#, ""),
        ("X == ``", ""),
        ("X == \"two words\"", "two words"),
        ("X == word", "word"),
        ("X == 12.50", "12.50"),
        ("X == true", "true"),
    ])
    func quoting(_ text: String, _ value: String) throws {
        guard case .match(let m) = try FilterExpression.parse(text) else { Issue.record("not a match"); return }
        #expect(m.value == value)
    }

    /// Proves invalid expressions are refused with a message and the go-bexpr style position `line:column (byte offset)`.
    @Test(arguments: [
        ("", "1:1 (0): expected a selector or value, found end of input"),
        ("   ", "1:4 (3): expected a selector or value, found end of input"),
        ("Service ==", "1:11 (10): expected a value after '==', found end of input"),
        ("Service = web", "1:9 (8): unexpected character '='; did you mean '=='?"),
        ("Service ! web", "1:9 (8): unexpected character '!'; did you mean '!='?"),
        (#"Service == "web"#, "1:12 (11): unterminated string literal"),
        ("Service == `web", "1:12 (11): unterminated string literal"),
        (#"Service == "a\qb""#, #"1:14 (13): invalid escape '\q' in string literal"#),
        (#"Service == "\x4""#, #"1:13 (12): invalid escape '\x' in string literal"#),
        (#"Service == "\400""#, "1:13 (12): invalid octal escape in string literal"),
        ("Port == 80abc", "1:9 (8): invalid number literal"),
        ("Port == 007", "1:9 (8): invalid number literal"),
        ("Port == -", "1:9 (8): invalid number literal"),
        ("Port == 1.", "1:9 (8): invalid number literal"),
        ("(Service == web", "1:16 (15): expected ')' to close the '(' at 1:1, found end of input"),
        ("Service == web)", "1:15 (14): unexpected ')' after a complete expression"),
        ("Service == web Port == 80", "1:16 (15): unexpected 'Port' after a complete expression"),
        ("Service web", "1:9 (8): expected an operator (==, !=, is empty, is not empty, in, not in, contains, not contains, matches, not matches) after selector 'Service', found 'web'"),
        ("Service", "1:8 (7): expected an operator (==, !=, is empty, is not empty, in, not in, contains, not contains, matches, not matches) after selector 'Service', found end of input"),
        (#""web" == Service"#, #"1:1 (0): expected a selector before '==', found string "web""#),
        ("80 contains Port", "1:1 (0): expected a selector before 'contains', found number 80"),
        (#""web" Service"#, #"1:7 (6): expected 'in' or 'not in' after string "web", found 'Service'"#),
        (#""web" in "Tags""#, #"1:10 (9): expected a selector after 'in', found string "Tags""#),
        ("web not in 80", "1:12 (11): expected a selector after 'in', found number 80"),
        ("Checks is full", "1:11 (10): expected 'empty' or 'not empty' after 'is', found 'full'"),
        ("Checks is not", "1:11 (10): expected 'empty' or 'not empty' after 'is', found 'not'"),
        ("Tags not equals x", "1:10 (9): expected 'in', 'contains' or 'matches' after 'not', found 'equals'"),
        ("Meta[env] == x", "1:6 (5): expected a quoted key inside '[ ]', found 'env'"),
        (#"Meta["env" == x"#, "1:12 (11): expected ']' to close the index, found '=='"),
        ("Meta. == x", "1:7 (6): expected a name after '.', found '=='"),
        ("Service == web and", "1:19 (18): expected a selector or value, found end of input"),
        ("Service == web or or", "1:19 (18): expected a selector or value, found 'or'"),
        ("not", "1:4 (3): expected a selector or value, found end of input"),
        ("()", "1:2 (1): expected a selector or value, found ')'"),
        ("Service == (web)", "1:12 (11): expected a value after '==', found '('"),
        ("Service == web\nand Port = 80", "2:10 (24): unexpected character '='; did you mean '=='?"),
        ("Sérvice == web", "1:2 (1): unexpected character 'é'"),
        (#"Name == "é" ?"#, "1:13 (13): unexpected character '?'"),
        ("_x == 1", "1:1 (0): unexpected character '_'"),
    ])
    func rejectsInvalid(_ text: String, _ expected: String) {
        #expect(throws: FilterError.self) { try FilterExpression.parse(text) }
        do {
            _ = try FilterExpression.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    /// Proves an invalid regular expression is refused at parse time, pointing at the pattern.
    @Test(arguments: [#"Name matches "(""#, #"Name not matches "a[""#, "Name matches `*`"])
    func rejectsInvalidRegex(_ text: String) {
        do {
            _ = try FilterExpression.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.message.hasPrefix("invalid regular expression "))
            #expect(error.line == 1 && error.column == text.count - text.drop { $0 != "\"" && $0 != "`" }.count + 1)
        }
    }

    /// Proves keywords are case-sensitive, as in go-bexpr: `AND` is not `and`, so it is taken as a stray word.
    @Test func keywordsAreLowercase() {
        #expect(throws: FilterError.self) { try FilterExpression.parse("A == 1 AND B == 2") }
        #expect(throws: FilterError.self) { try FilterExpression.parse("A IS EMPTY") }
        #expect(throws: FilterError.self) { try FilterExpression.parse("x IN Tags") }
    }

    /// Proves URL-borne filters cannot build arbitrarily deep trees: deep `not`, parentheses, operator chains and long selectors are refused, moderate ones accepted.
    @Test func depthLimits() throws {
        func chain(_ n: Int) -> String { Array(repeating: "a == 1", count: n).joined(separator: " or ") }
        #expect(try FilterExpression.parse(String(repeating: "not ", count: 200) + "a == 1").matches(.object([])) == false)
        #expect(try FilterExpression.parse(String(repeating: "(", count: 200) + "a == 1" + String(repeating: ")", count: 200)).matches(.object([])) == false)
        #expect(try FilterExpression.parse(chain(200)).matches(.object([("a", .number("1"))])))
        #expect(try FilterExpression.parse(Array(repeating: "a", count: 100).joined(separator: ".") + " is empty").matches(.object([])))
        for text in [String(repeating: "not ", count: 300) + "a == 1",
                     String(repeating: "(", count: 300) + "a == 1" + String(repeating: ")", count: 300),
                     chain(300), chain(2000)] {
            #expect(throws: FilterError.self) { try FilterExpression.parse(text) }
            do { _ = try FilterExpression.parse(text) } catch {
                #expect(error.message == "expression too deeply nested (more than 256 levels of operators)")
            }
        }
        do {
            _ = try FilterExpression.parse(Array(repeating: "a", count: 200).joined(separator: ".") + " is empty")
            Issue.record("long selector accepted")
        } catch {
            #expect(error.message == "selector has more than 128 parts")
        }
    }

    /// Proves the error's fields and description agree, and that FilterError is usable as a plain value.
    @Test func errorFields() {
        let e = FilterError(message: "boom", line: 2, column: 3, offset: 9)
        #expect(e.description == "2:3 (9): boom")
        #expect(e == FilterError(message: "boom", line: 2, column: 3, offset: 9))
    }
}
