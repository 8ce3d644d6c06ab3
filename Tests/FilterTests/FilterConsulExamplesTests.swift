import ConsulAPI
import Testing

/// A `/v1/agent/services` value.
private let agentService = try! JSONParser.parse("""
{"ID":"web-1","Service":"web","Tags":["prod","v1"],"Meta":{"env":"prod"},"Port":8080,"Address":"",
 "Weights":{"Passing":1,"Warning":1},"EnableTagOverride":false,"Datacenter":"dc1"}
""")

/// A `/v1/catalog/service/<s>` element.
private func catalogService(version: String, rack: String) -> JSONValue {
    try! JSONParser.parse("""
    {"ID":"0a1b","Node":"n1","Address":"10.0.0.1","Datacenter":"dc1","NodeMeta":{"rack":"\(rack)"},
     "ServiceID":"api-1","ServiceName":"api","ServiceTags":["primary"],"ServiceMeta":{"version":"\(version)"},
     "ServicePort":9000,"ServiceEnableTagOverride":false}
    """)
}

/// A `/v1/health/service/<s>` element: nested Node, Service and a Checks list.
private let healthEntry = try! JSONParser.parse("""
{"Node":{"Node":"n1","Address":"10.0.0.1","Meta":{"consul-network-segment":""}},
 "Service":{"ID":"web-1","Service":"web","Tags":["primary"],"Port":80},
 "Checks":[{"CheckID":"serfHealth","Status":"passing","ServiceName":""},
           {"CheckID":"service:web-1","Status":"warning","ServiceName":"web"}]}
""")

@Suite("Filter: Consul documentation examples")
struct FilterConsulExamplesTests {
    /// Proves `Service == web and "prod" in Tags` selects the tagged web service only.
    @Test func serviceAndTag() throws {
        let f = try FilterExpression.parse(#"Service == web and "prod" in Tags"#)
        #expect(f.matches(agentService))
        #expect(!f.matches(try JSONParser.parse(#"{"Service":"web","Tags":["canary"]}"#)))
    }

    /// Proves `Meta.env == "prod" or not (Port == 80)` holds via either branch and fails when both do.
    @Test func metaOrNotPort() throws {
        let f = try FilterExpression.parse(#"Meta.env == "prod" or not (Port == 80)"#)
        #expect(f.matches(agentService))
        #expect(f.matches(try JSONParser.parse(#"{"Meta":{"env":"qa"},"Port":81}"#)))
        #expect(!f.matches(try JSONParser.parse(#"{"Meta":{"env":"qa"},"Port":80}"#)))
    }

    /// Proves `ServiceMeta["version"] matches "^v1\\."` reads the Go escape as a literal-dot regex.
    @Test func serviceMetaRegex() throws {
        let f = try FilterExpression.parse(#"ServiceMeta["version"] matches "^v1\\.""#)
        #expect(f.matches(catalogService(version: "v1.2", rack: "r1")))
        #expect(!f.matches(catalogService(version: "v10", rack: "r1")))
        #expect(!f.matches(catalogService(version: "v2.0", rack: "r1")))
    }

    /// Proves `Checks is empty` on health entries with and without checks.
    @Test func checksIsEmpty() throws {
        let f = try FilterExpression.parse("Checks is empty")
        #expect(!f.matches(healthEntry))
        #expect(f.matches(try JSONParser.parse(#"{"Checks":[]}"#)))
        #expect(f.matches(try JSONParser.parse(#"{"Checks":null}"#)))
    }

    /// Proves `NodeMeta.rack != r1` with a bare-word value.
    @Test func nodeMetaBareWord() throws {
        let f = try FilterExpression.parse("NodeMeta.rack != r1")
        #expect(!f.matches(catalogService(version: "v1", rack: "r1")))
        #expect(f.matches(catalogService(version: "v1", rack: "r2")))
    }

    /// Proves nested selectors on health entries: `Service.Service`, tags of the embedded service, a dashed node-meta key, and any-check status.
    @Test(arguments: [
        (#"Service.Service == "web""#, true),
        (#""primary" in Service.Tags"#, true),
        (#"Node.Meta["consul-network-segment"] == """#, true),
        ("Node.Node == n1 and Service.Port == 80", true),
        ("Checks.Status == warning", true),
        ("Checks.Status == critical", false),
        ("Checks.ServiceName == web and Checks.CheckID contains serf", true),
        ("ServiceTags contains primary", false),
    ])
    func healthSelectors(_ text: String, _ expected: Bool) throws {
        #expect(try FilterExpression.parse(text).matches(healthEntry) == expected)
    }

    /// Proves catalog/service selectors with PascalCase names, numbers and bools.
    @Test(arguments: [
        ("ServiceName == api and ServicePort == 9000", true),
        ("ServiceEnableTagOverride == false", true),
        ("primary in ServiceTags", true),
        (#"Address matches "^10\\.""#, true),
        ("Datacenter != dc1", false),
    ])
    func catalogSelectors(_ text: String, _ expected: Bool) throws {
        #expect(try FilterExpression.parse(text).matches(catalogService(version: "v1", rack: "r1")) == expected)
    }
}
