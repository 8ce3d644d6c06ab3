import Config
import Testing

@Suite("encrypt config keys")
struct EncryptConfigTests {
    private func build(_ json: String, flag: String? = nil) throws(ConfigError) -> AgentConfig {
        let file = try ConfigFile.parseJSON(Array(json.utf8), path: "/etc/consul.d/e.json")
        var flags = ConfigLayer()
        flags.dataDir = "/var/consul"
        flags.encryptKey = flag
        return try ConfigBuilder.build(dev: false, files: [file], flags: flags, hostname: "h")
    }

    /// `encrypt` and the verify switches reach AgentConfig, `-encrypt` overrides the file, and a
    /// key that is not base64 of 16/24/32 bytes is a config error naming the key.
    @Test func encryptKeysAreParsedLayeredAndValidated() throws {
        let c = try build(#"{"encrypt":"AAECAwQFBgcICQoLDA0ODw==","encrypt_verify_incoming":false}"#)
        #expect(c.encryptKey == "AAECAwQFBgcICQoLDA0ODw==")
        #expect(!c.encryptVerifyIncoming && c.encryptVerifyOutgoing)
        #expect(c.ignoredKeys.isEmpty)
        #expect(try build("{}").encryptKey == "")
        let k32 = "ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJlZWY="
        #expect(try build(#"{"encrypt":"AAECAwQFBgcICQoLDA0ODw=="}"#, flag: k32).encryptKey == k32)
        #expect(throws: ConfigError("encrypt has invalid key: illegal base64 data")) { try build(#"{"encrypt":"not base64!"}"#) }
        #expect(throws: ConfigError("encrypt has invalid key: key size must be 16, 24 or 32 bytes (got 5)")) {
            try build("{}", flag: "aGVsbG8=")
        }
    }
}
