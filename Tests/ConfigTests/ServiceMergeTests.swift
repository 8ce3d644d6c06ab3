import Config
import ConsulAPI
import Testing

private func layer(_ text: String, _ path: String) throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parse(Array(text.utf8), path: path, format: path.hasSuffix(".hcl") ? .hcl : .json)
}

private func names(_ list: [JSONValue], _ key: String = "name") -> [String] {
    list.compactMap { $0[key]?.stringValue }
}

@Suite("Services and checks across config files")
struct ServiceMergeTests {
    /// Proves singular and plural keys in JSON both append, objects kept raw in file order.
    @Test func jsonFormsAppend() throws {
        let l = try layer("""
        {"service": {"name": "a", "port": 1},
         "services": [{"name": "b"}, {"name": "c", "checks": [{"id": "x"}]}],
         "check": {"id": "c1", "ttl": "10s"},
         "checks": [{"id": "c2"}, {"id": "c3"}],
         "Service": [{"name": "d"}]}
        """, "/c/a.json")
        #expect(names(l.services) == ["a", "b", "c", "d"])
        #expect(l.services[0] == .object([("name", .string("a")), ("port", .number("1"))]))
        #expect(names(l.checks, "id") == ["c1", "c2", "c3"])
        #expect(l.ignoredKeys.isEmpty)
    }

    /// Proves services and checks concatenate across files in load order (JSON and HCL
    /// interleaved), as Consul merges lists, and survive into AgentConfig after flags.
    @Test func listsConcatenateAcrossFiles() throws {
        let files = [
            try layer(#"{"data_dir": "/d", "service": {"name": "one"}, "check": {"id": "k1"}}"#, "/c/1.json"),
            try layer("service { name = \"two\" }\nservice { name = \"three\" }\n", "/c/2.hcl"),
            try layer(#"{"services": [{"name": "four"}], "checks": [{"id": "k2"}, {"id": "k3"}]}"#, "/c/3.json"),
            try layer("checks = [{ id = \"k4\" }]\nservices { name = \"five\" }\n", "/c/4.hcl"),
        ]
        let config = try ConfigBuilder.build(dev: false, files: files, flags: ConfigLayer(), hostname: "h")
        #expect(names(config.services) == ["one", "two", "three", "four", "five"])
        #expect(names(config.checks, "id") == ["k1", "k2", "k3", "k4"])
    }

    /// Proves a config with no services leaves the lists empty, and dev mode adds none.
    @Test func noServicesByDefault() throws {
        let config = try ConfigBuilder.build(dev: true, files: [], flags: ConfigLayer(), hostname: "h")
        #expect(config.services.isEmpty && config.checks.isEmpty)
    }

    /// Proves non-object entries are refused with the file and the key (and index) named.
    @Test(arguments: [
        (#"{"service": "web"}"#, "service: expected an object or a list of objects"),
        (#"{"checks": [{"id": "a"}, []]}"#, "checks[1]: expected an object"),
        (#"{"services": 1}"#, "services: expected an object or a list of objects"),
    ])
    func malformedEntries(_ json: String, _ message: String) {
        do {
            _ = try layer(json, "/c/bad.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "Error parsing /c/bad.json: \(message)")
        }
    }
}
