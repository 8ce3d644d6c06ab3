import Config
import Testing

private let deploymentTable = "See https://www.consul.io/docs/internals/consensus.html#deployment-table"

/// Builds a server configuration (outside dev mode unless `dev`) and returns it.
private func build(dev: Bool = false, files: [ConfigLayer] = [], hostname: String = "host1",
                   _ edit: (inout ConfigLayer) -> Void = { _ in }) throws -> AgentConfig {
    var flags = ConfigLayer()
    if !dev {
        flags.dataDir = "/var/consul"
        flags.server = true
    }
    edit(&flags)
    return try ConfigBuilder.build(dev: dev, files: files, flags: flags, hostname: hostname)
}

/// Consul's start-up warnings (its builder's words and order), and the `disable_remote_exec` key.
@Suite("Start-up warnings")
struct StartupWarningsTests {
    /// Proves `-bootstrap` warns that bootstrap mode should not be enabled unless necessary.
    @Test func bootstrapWarns() throws {
        let c = try build { $0.bootstrap = true }
        #expect(c.warnings == ["bootstrap = true: do not enable unless necessary"])
    }

    /// Proves bootstrap_expect = 1 warns it is bootstrap mode, then the bootstrap warning, and becomes bootstrap mode.
    @Test func bootstrapExpectOneIsBootstrapMode() throws {
        let c = try build { $0.bootstrapExpect = 1 }
        #expect(c.warnings == [
            "BootstrapExpect is set to 1; this is the same as Bootstrap mode.",
            "bootstrap = true: do not enable unless necessary",
        ])
        #expect(c.bootstrap && c.bootstrapExpect == 0)
    }

    /// Proves bootstrap_expect = 2 warns of no failure tolerance, then announces the expected servers.
    @Test func bootstrapExpectTwoHasNoFailureTolerance() throws {
        let c = try build { $0.bootstrapExpect = 2 }
        #expect(c.warnings == [
            "bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. \(deploymentTable)",
            "bootstrap_expect > 0: expecting 2 servers",
        ])
    }

    /// Proves an even bootstrap_expect above 2 warns of suboptimal fault tolerance.
    @Test func evenBootstrapExpectWarns() throws {
        let c = try build { $0.bootstrapExpect = 4 }
        #expect(c.warnings == [
            "bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. \(deploymentTable)",
            "bootstrap_expect > 0: expecting 4 servers",
        ])
    }

    /// Proves an odd bootstrap_expect above 1 only announces the expected servers.
    @Test func oddBootstrapExpectOnlyAnnounces() throws {
        let c = try build { $0.bootstrapExpect = 3 }
        #expect(c.warnings == ["bootstrap_expect > 0: expecting 3 servers"])
    }

    /// Proves a plain server (or client) with a DNS-safe node name gets no warning.
    @Test func plainConfigurationHasNoWarnings() throws {
        #expect(try build().warnings.isEmpty)
        #expect(try build { $0.server = false }.warnings.isEmpty)
        #expect(try build { $0.nodeName = "node-1-A" }.warnings.isEmpty)
    }

    /// Proves a node name with characters DNS cannot carry, or longer than 63 bytes, is warned about.
    @Test func nodeNameNotDiscoverableViaDNSWarns() throws {
        let underscore = try build { $0.nodeName = "my_node" }
        #expect(underscore.warnings == [
            "Node name \"my_node\" will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes.",
        ])
        let fromHostname = try build(hostname: "host.example")
        #expect(fromHostname.warnings.count == 1)
        #expect(fromHostname.warnings.first?.hasPrefix("Node name \"host.example\" will not be discoverable") == true)

        let long = String(repeating: "a", count: 64)
        #expect(try build { $0.nodeName = long }.warnings == [
            "Node name \"\(long)\" will not be discoverable via DNS due to it being too long. Valid lengths are between 1 and 63 bytes.",
        ])
        #expect(try build { $0.nodeName = String(repeating: "a", count: 63) }.warnings.isEmpty)
    }

    /// Proves dev mode (which turns bootstrap on) gives no bootstrap warnings, but still warns about the node name.
    @Test func devModeHasNoBootstrapWarnings() throws {
        let c = try build(dev: true, hostname: "devhost")
        #expect(c.bootstrap)
        #expect(c.warnings.isEmpty)
        #expect(try build(dev: true, hostname: "dev_host").warnings.count == 1)
    }

    /// Proves remote execution is disabled by default, and `"disable_remote_exec": false` in a config file enables it.
    @Test func disableRemoteExecDefaultsToTrue() throws {
        #expect(try build().disableRemoteExec)
        let file = try ConfigFile.parseJSON(Array(#"{"disable_remote_exec": false}"#.utf8), path: "/etc/consul.d/exec.json")
        #expect(file.disableRemoteExec == false)
        #expect(try build(files: [file]).disableRemoteExec == false)
        let on = try ConfigFile.parseJSON(Array(#"{"disable_remote_exec": true}"#.utf8), path: "/etc/consul.d/exec.json")
        #expect(try build(files: [file, on]).disableRemoteExec)
    }
}
