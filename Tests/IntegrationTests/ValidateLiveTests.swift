import Foundation
import Testing

/// A fresh directory of config files, removed at deinit.
private final class ConfigDir {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
    var path: String { url.path }

    init(_ files: [String: String]) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// `consul validate` run as a real process: exit codes and output as Consul's.
/// Valid configs name `bind_addr`: without it the host must have exactly one private IPv4
/// address (Consul's rule, and this CI box has none), which NetworkNamespaceLiveTests covers.
@Suite struct ValidateLiveTests {
    /// A complete JSON config is valid: the message on stdout, exit 0; Consul's builder warning
    /// for bootstrap_expect on stderr.
    @Test func validJSON() throws {
        let dir = try ConfigDir(["agent.json": #"{"data_dir": "/tmp/consul-validate", "bind_addr": "127.0.0.1", "server": true, "bootstrap_expect": 3}"#])
        let result = try runCLI(["validate", dir.file("agent.json")])
        #expect(result.status == 0)
        #expect(result.stdout == "Configuration is valid!\n")
        #expect(result.stderr == "bootstrap_expect > 0: expecting 3 servers\n")
    }

    /// Settings asking for access control or encryption this build lacks are refused, by
    /// `consul validate` and by the agent, naming what is not supported; ACLs explicitly off pass.
    @Test func securitySettingsThisBuildLacksAreRefused() throws {
        let cases = [
            ("acl.hcl", "data_dir = \"/tmp/consul-validate\"\nacl {\n  enabled = true\n  default_policy = \"deny\"\n}\n",
             "acl.enabled = true: ACLs are not supported by this build"),
            ("legacy-acl.json", #"{"data_dir": "/tmp/consul-validate", "acl_datacenter": "dc1"}"#, "acl_datacenter: ACLs are not supported"),
            ("tls.json", #"{"data_dir": "/tmp/consul-validate", "tls": {"defaults": {"verify_incoming": true}}}"#,
             "tls.defaults.verify_incoming = true: TLS is not supported by this build yet"),
            ("verify.json", #"{"data_dir": "/tmp/consul-validate", "verify_outgoing": true}"#, "verify_outgoing = true: TLS is not supported"),
            ("https.json", #"{"data_dir": "/tmp/consul-validate", "ports": {"https": 8501}}"#,
             "ports.https = 8501: HTTPS is not supported by this build yet"),
        ]
        for (name, text, message) in cases {
            let dir = try ConfigDir([name: text])
            let result = try runCLI(["validate", dir.file(name)])
            #expect(result.status == 1 && result.stderr.contains(message), "\(name): \(result.status) \(result.stderr)")
            let agent = try runCLI(["agent", "-dev", "-config-file", dir.file(name)], timeoutSeconds: 20)
            #expect(agent.status == 1 && (agent.stdout + agent.stderr).contains(message), "agent with \(name): \(agent.status) \(agent.stderr)")
        }
        let off = try ConfigDir(["off.json": #"{"data_dir": "/tmp/consul-validate", "bind_addr": "127.0.0.1", "acl": {"enabled": false}, "verify_incoming": false}"#])
        let valid = try runCLI(["validate", off.file("off.json")])
        #expect(valid.status == 0, "\(valid.stderr)")
    }

    /// A directory mixing HCL and JSON (services, checks, ports, retry_join) is valid; accepted
    /// but unimplemented keys are warned about on stderr, and -quiet silences all output.
    @Test func validHCLDirectory() throws {
        let dir = try ConfigDir([
            "10-base.hcl": """
            data_dir   = "/tmp/consul-validate"
            bind_addr  = "127.0.0.1"
            datacenter = "east"
            retry_join = ["10.0.0.1", "10.0.0.2",]
            ports {
              http = 8501
              dns  = -1
            }
            telemetry {
              disable_hostname = true
              circonus_api_token = "x"
            }
            """,
            "20-web.hcl": """
            service {
              name = "web"
              port = 80
              check { http = "http://localhost/health", interval = "10s" }
            }
            service { name = "db" }
            """,
            "30-checks.json": #"{"checks": [{"id": "mem", "ttl": "30s"}]}"#,
            "notes.txt": "not config",
        ])
        let result = try runCLI(["validate", dir.path])
        #expect(result.status == 0)
        #expect(result.stdout == "Configuration is valid!\n")
        #expect(result.stderr.contains("telemetry.circonus_api_token"), "\(result.stderr)")
        let quiet = try runCLI(["validate", "-quiet", dir.path])
        #expect(quiet.status == 0)
        #expect(quiet.stdout == "" && quiet.stderr == "")
    }

    /// `-config-format hcl` reads a file whatever its extension; a bad format is refused.
    @Test func configFormatFlag() throws {
        let dir = try ConfigDir(["agent.conf": "data_dir = \"/tmp/consul-validate\"\nbind_addr = \"127.0.0.1\"\n"])
        let forced = try runCLI(["validate", "-config-format", "hcl", dir.file("agent.conf")])
        #expect(forced.status == 0)
        #expect(forced.stdout == "Configuration is valid!\n")
        let unknown = try runCLI(["validate", dir.file("agent.conf")])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("Config validation failed: Error loading \(dir.file("agent.conf")): No format specified"))
        let bad = try runCLI(["validate", "-config-format", "yaml", dir.file("agent.conf")])
        #expect(bad.status == 1)
        #expect(bad.stderr == "-config-format must be either 'hcl' or 'json\n")
    }

    /// An unknown key fails, naming the file and the key.
    @Test func invalidKey() throws {
        let dir = try ConfigDir(["bad.json": #"{"data_dir": "/tmp/x", "bogus_key": 1}"#])
        let result = try runCLI(["validate", dir.file("bad.json")])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "Config validation failed: Error parsing \(dir.file("bad.json")): invalid config key bogus_key\n")
    }

    /// HCL syntax errors name the file, line and column.
    @Test func hclSyntaxError() throws {
        let dir = try ConfigDir(["bad.hcl": "data_dir = \"/tmp/x\"\nports 8500\n"])
        let result = try runCLI(["validate", dir.file("bad.hcl")])
        #expect(result.status == 1)
        #expect(result.stderr == "Config validation failed: Error parsing \(dir.file("bad.hcl")): At 2:7: expected '=' or '{' after key \"ports\"\n")
    }

    /// A fragment without data_dir fails the full validation, as in Consul.
    @Test func missingDataDir() throws {
        let dir = try ConfigDir(["fragment.hcl": "service { name = \"web\" }\n"])
        let result = try runCLI(["validate", dir.file("fragment.hcl")])
        #expect(result.status == 1)
        #expect(result.stderr == "Config validation failed: data_dir cannot be empty\n")
    }

    /// No paths is a usage error.
    @Test func noArguments() throws {
        let result = try runCLI(["validate"])
        #expect(result.status == 1)
        #expect(result.stderr == "Must specify at least one config file or directory\n")
    }
}
