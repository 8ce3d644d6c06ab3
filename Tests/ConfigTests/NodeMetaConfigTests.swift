import Config
import Testing

private func parse(_ json: String) throws(ConfigError) -> ConfigLayer {
    try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/meta.json")
}

private func build(_ files: [String]) throws -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    return try ConfigBuilder.build(dev: false, files: try files.map(parse), flags: flags, hostname: "h")
}

private func failure(_ files: [String]) -> String? {
    do { _ = try build(files); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
}

/// `node_meta`: merged across files key by key, and held to Consul's rules for node metadata.
@Suite struct NodeMetaConfigTests {
    @Test func mergedAcrossFiles() throws {
        let c = try build([#"{"node_meta":{"rack":"r1","env":"dev"}}"#, #"{"node_meta":{"env":"prod"}}"#])
        #expect(c.nodeMeta == ["rack": "r1", "env": "prod"])
        #expect(c.ignoredKeys.isEmpty)
    }

    @Test func consulsRulesAndMessages() {
        #expect(failure([#"{"node_meta":{"consul-x":"1"}}"#]) == "node_meta invalid: Key prefix 'consul-' is reserved for internal use")
        #expect(failure([#"{"node_meta":{"a b":"1"}}"#]) == "node_meta invalid: Key contains invalid characters")
        #expect(failure([#"{"node_meta":{"k":"\#(String(repeating: "v", count: 513))"}}"#]) == "node_meta invalid: Value is too long (limit: 512 characters)")
        #expect(failure([#"{"node_meta":{"\#(String(repeating: "k", count: 129))":"v"}}"#]) == "node_meta invalid: Key is too long (limit: 128 characters)")
        let many = (0..<65).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        #expect(failure(["{\"node_meta\":{\(many)}}"]) == "node_meta invalid: Node metadata cannot contain more than 64 key/value pairs")
        #expect(failure([#"{"node_meta":{"k":5}}"#]) == "Error parsing /etc/consul.d/meta.json: node_meta.k: expected a string")
        #expect(failure([#"{"node_meta":"rack"}"#]) == "Error parsing /etc/consul.d/meta.json: node_meta: expected an object")
    }
}
