import Config
import Testing

private func build(_ json: String) throws -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    return try ConfigBuilder.build(dev: false, files: [try ConfigFile.parseJSON(Array(json.utf8), path: "/c/http.json")], flags: flags, hostname: "h")
}

/// The `http_config` stanza: response headers and write-source networks.
@Suite struct HTTPConfigKeysTests {
    @Test func acceptedValues() throws {
        let c = try build(#"{"http_config":{"response_headers":{"Access-Control-Allow-Origin":"*"},"allow_write_http_from":["10.0.0.0/8","fd00::/8"],"use_cache":false}}"#)
        #expect(c.httpResponseHeaders == ["Access-Control-Allow-Origin": "*"])
        #expect(c.allowWriteHTTPFrom == ["10.0.0.0/8", "fd00::/8"])
        #expect(c.ignoredKeys == ["http_config.use_cache"])
    }

    @Test func wrongValuesAreConsulsErrors() {
        func failure(_ json: String) -> String? {
            do { _ = try build(json); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
        }
        #expect(failure(#"{"http_config":{"allow_write_http_from":["10.0.0/8"]}}"#) == "allow_write_http_from: invalid cidr: 10.0.0/8")
        #expect(failure(#"{"http_config":{"allow_write_http_from":"10.0.0.0/8"}}"#)?.hasSuffix("http_config.allow_write_http_from: expected a list of strings") == true)
        #expect(failure(#"{"http_config":{"response_headers":{"X":1}}}"#)?.hasSuffix("http_config.response_headers.X: expected a string") == true)
    }
}
