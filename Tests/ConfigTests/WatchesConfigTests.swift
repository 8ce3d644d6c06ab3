import Config
import ConsulAPI
import Testing

@Suite("watches config")
struct WatchesConfigTests {
    private func layer(_ json: String) throws -> ConfigLayer {
        try ConfigFile.parse(Array(json.utf8), path: "/etc/consul.d/w.json", format: .json)
    }

    /// Proves `watches` from several files concatenate in load order and a single object counts as one.
    @Test func watchesMerge() throws {
        let a = try layer(#"{"watches": [{"type": "nodes", "args": ["a"]}]}"#)
        let b = try layer(#"{"watches": {"type": "key", "key": "k", "handler": "b"}}"#)
        let c = try ConfigBuilder.build(dev: true, files: [a, b], flags: ConfigLayer(), hostname: "h")
        #expect(c.watches.count == 2)
        #expect(c.watches[1]["key"] == .string("k"))
        #expect(c.ignoredKeys.isEmpty)
    }

    /// Proves an invalid watch refuses the configuration with an error naming the entry and Consul's reason.
    @Test func invalidWatchesRefused() throws {
        func error(_ json: String) throws -> String? {
            let l = try layer(json)
            do { _ = try ConfigBuilder.build(dev: true, files: [l], flags: ConfigLayer(), hostname: "h"); return nil } catch {
                return "\(error)"
            }
        }
        #expect(try error(#"{"watches": [{"type": "bogus", "args": ["x"]}]}"#)?.contains("watches[0]: Unsupported watch type: bogus") == true)
        #expect(try error(#"{"watches": [{"type": "nodes", "args": ["x"]}, {"type": "key"}]}"#)?.contains("watches[1]: Must specify a single key to watch") == true)
        #expect(try error(#"{"watches": [{"type": "nodes"}]}"#)?.contains("watches[0]: Must define a watch handler") == true)
        #expect(throws: ConfigError.self) { try layer(#"{"watches": "nope"}"#) }
    }
}
