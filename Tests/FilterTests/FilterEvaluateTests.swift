import ConsulAPI
import Testing

/// One element as an endpoint would return it, with every JSON kind represented.
private let element = try! JSONParser.parse("""
{"Node":"n1","Address":"10.0.0.1","Service":"web","ID":"web-1","Tags":["prod","v2"],
 "Port":8080,"Weight":1.5,"Big":18446744073709551615,"Neg":-3,"EnableTagOverride":false,"Local":true,
 "Meta":{"env":"prod","a-b":"x","Env":"UPPER","empty":""},
 "EmptyList":[],"EmptyMap":{},"Nothing":null,"EmptyString":"",
 "Mixed":[1,"two",true,null,{"k":"v"}],
 "Checks":[{"CheckID":"c1","Status":"passing"},{"CheckID":"c2","Status":"critical"}]}
""")

private func evaluate(_ text: String) throws -> Bool {
    try FilterExpression.parse(text).matches(element)
}

@Suite("Filter evaluation")
struct FilterEvaluateTests {
    /// Proves every operator on a string field: byte equality, substring for in/contains, regex search, emptiness.
    @Test(arguments: [
        ("Service == web", true), (#"Service == "web""#, true), ("Service == `web`", true), ("Service == Web", false),
        ("Service != web", false), ("Service != db", true),
        ("Service contains we", true), (#""eb" in Service"#, true), ("Service contains bew", false),
        ("Service not contains x", true), (#""eb" not in Service"#, false), (#""" in Service"#, true),
        (#"Service matches "^w.b$""#, true), (#"Service matches "^db""#, false), (#"Service not matches "^db""#, true),
        (#"Address matches "^10\\.0\\.""#, true), (#"Address matches `^10\.0\.`"#, true), (#"Address matches "10\\.1""#, false),
        ("Service is empty", false), ("Service is not empty", true), ("EmptyString is empty", true), ("EmptyString is not empty", false),
        (#"EmptyString == """#, true), (#"Meta.empty == """#, true),
    ])
    func strings(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves every operator on a list: membership by element equality, emptiness, numeric index, no scalar equality.
    @Test(arguments: [
        ("prod in Tags", true), (#""v1" in Tags"#, false), (#""v1" not in Tags"#, true), ("prod not in Tags", false),
        ("Tags contains v2", true), ("Tags not contains prod", false), ("Tags contains pro", false),
        ("Tags is empty", false), ("Tags is not empty", true), ("EmptyList is empty", true), ("EmptyList is not empty", false),
        ("Tags.0 == prod", true), ("Tags.1 == v2", true), ("Tags.5 == prod", false), ("Tags.5 is empty", true),
        ("Tags == prod", false), ("Tags != prod", true), (#"Tags matches "prod""#, false),
        ("1 in Mixed", true), ("two in Mixed", true), ("true in Mixed", true), ("Mixed contains 2", false), ("k in Mixed", false),
    ])
    func lists(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves maps: in/contains test for an exact key; `.key` and `["key"]` select values; `.Name` falls back to case-insensitive, `["key"]` never does.
    @Test(arguments: [
        ("env in Meta", true), (#"Meta contains "a-b""#, true), (#""ENV" in Meta"#, false), ("missing not in Meta", true),
        ("prod in Meta", false), ("Meta is not empty", true), ("EmptyMap is empty", true), ("EmptyMap is not empty", false),
        ("Meta.env == prod", true), (#"Meta["env"] == prod"#, true), (#"Meta["a-b"] == x"#, true),
        ("Meta.Env == UPPER", true), ("Meta.ENV == prod", true), (#"Meta["ENV"] is empty"#, true),
        ("Meta == prod", false), (#"Meta matches "env""#, false),
        ("service == web", true), ("SERVICE == web", true), ("tags contains prod", true),
    ])
    func maps(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves numbers compare numerically whether the value is written as a number, a string or a bare word, and never match text-only operators.
    @Test(arguments: [
        ("Port == 8080", true), (#"Port == "8080""#, true), ("Port == 8080.0", true), ("Port != 80", true), ("Port == 80", false),
        ("Port == abc", false), ("Port != abc", true), ("Port == nan", false),
        ("Weight == 1.5", true), (#"Weight == "1.50""#, true), ("Weight == 1", false),
        ("Big == 18446744073709551615", true), ("Big == 18446744073709551614", false),
        ("Neg == -3", true), ("Neg == 3", false),
        ("Port is empty", false), ("Port is not empty", true),
        ("Port contains 80", false), ("80 in Port", false), ("Port matches 80", false), ("Port not matches 80", true),
    ])
    func numbers(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves bools compare through Go's ParseBool spellings, and anything else is not equal.
    @Test(arguments: [
        ("EnableTagOverride == false", true), ("EnableTagOverride == False", true), ("EnableTagOverride == FALSE", true),
        ("EnableTagOverride == 0", true), ("EnableTagOverride == f", true), (#"EnableTagOverride == "false""#, true),
        ("EnableTagOverride == true", false), ("EnableTagOverride != true", true), ("EnableTagOverride == no", false),
        ("EnableTagOverride != no", true), ("Local == true", true), ("Local == 1", true), ("Local == T", true),
        ("Local is empty", false),
    ])
    func bools(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves a selector that does not resolve (missing field or key, null, or a path through a scalar) acts as absent: only the negated forms and `is empty` hold.
    @Test(arguments: [
        ("Missing == x", false), ("Missing != x", true), ("Missing is empty", true), ("Missing is not empty", false),
        ("x in Missing", false), ("x not in Missing", true), ("Missing contains x", false), ("Missing not contains x", true),
        (#"Missing matches ".*""#, false), (#"Missing not matches ".*""#, true),
        ("Nothing is empty", true), (#"Nothing == """#, false), ("Nothing != x", true),
        ("Meta.nokey == x", false), ("Meta.nokey != x", true), (#"Meta["nokey"] is empty"#, true),
        ("Service.Sub == web", false), ("Port.X is empty", true), ("Missing.Deep.Path != x", true),
    ])
    func unresolved(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves a selector stepping through a list of objects by name succeeds if any element matches (go-bexpr's implicit "any").
    @Test(arguments: [
        ("Checks.Status == critical", true), ("Checks.Status == warning", false),
        ("Checks.CheckID != c1", true), ("Checks.Status is empty", false), ("Checks.Missing is empty", true),
        ("Checks.0.Status == passing", true), ("Checks.1.CheckID == c2", true), ("Checks.1.CheckID == c1", false),
        (#"Checks.Status matches "^crit""#, true), ("EmptyList.Status != x", false), ("Checks is not empty", true),
    ])
    func listTraversal(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves the boolean connectives and that evaluation follows the parsed precedence.
    @Test(arguments: [
        ("Service == web and Port == 8080", true), ("Service == web and Port == 1", false),
        ("Service == db or Port == 8080", true), ("Service == db or Port == 1", false),
        ("not Service == db", true), ("not not Service == web", true), ("not (Service == web and Port == 1)", true),
        ("Service == db and Port == 1 or Tags contains prod", true),
        ("Service == db and (Port == 1 or Tags contains prod)", false),
        ("not Service == web or Port == 8080", true), ("not (Service == web or Port == 8080)", false),
        ("Service == web and not Tags is empty and Meta.env == prod", true),
    ])
    func connectives(_ text: String, _ expected: Bool) throws {
        #expect(try evaluate(text) == expected)
    }

    /// Proves one parsed expression filters a list of elements, the way an endpoint applies it.
    @Test func filtersAList() throws {
        let nodes = try JSONParser.parse("""
        [{"Node":"a","Meta":{"rack":"r1"}},{"Node":"b","Meta":{"rack":"r2"}},{"Node":"c","Meta":{}}]
        """).arrayValue ?? []
        let filter = try FilterExpression.parse("Meta.rack != r1")
        #expect(nodes.filter(filter.matches).compactMap { $0["Node"]?.stringValue } == ["b", "c"])
    }

    /// Proves a filter never matches a non-object element by name, except the operators that hold for absent values.
    @Test func nonObjectElement() throws {
        #expect(try FilterExpression.parse("Service == web").matches(.string("web")) == false)
        #expect(try FilterExpression.parse("Service is empty").matches(.number("1")) == true)
    }
}
