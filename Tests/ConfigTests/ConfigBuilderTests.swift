import Config
import Testing

/// Flags that satisfy validation outside dev mode (a data dir), plus whatever the test sets.
private func flags(_ edit: (inout ConfigLayer) -> Void = { _ in }) -> ConfigLayer {
    var layer = ConfigLayer()
    layer.dataDir = "/var/consul"
    edit(&layer)
    return layer
}

private func layer(_ edit: (inout ConfigLayer) -> Void) -> ConfigLayer {
    var l = ConfigLayer()
    edit(&l)
    return l
}

/// The error a build throws, or nil when it succeeds.
private func buildError(dev: Bool = false, files: [ConfigLayer] = [], flags: ConfigLayer) -> ConfigError? {
    do {
        _ = try ConfigBuilder.build(dev: dev, files: files, flags: flags, hostname: "host1")
        return nil
    } catch {
        return error
    }
}

@Suite("ConfigBuilder")
struct ConfigBuilderTests {
    /// Proves Consul's defaults when only a data dir is given.
    @Test func defaults() throws {
        let c = try ConfigBuilder.build(dev: false, files: [], flags: flags(), hostname: "host1")
        #expect(c.nodeName == "host1")
        #expect(c.nodeID == "")
        #expect(c.datacenter == "dc1")
        #expect(c.dataDir == "/var/consul")
        #expect(!c.devMode && !c.server && !c.bootstrap)
        #expect(c.bootstrapExpect == 0)
        #expect(c.bindAddr == "0.0.0.0")
        #expect(c.clientAddrs == ["127.0.0.1"])
        #expect(c.ports.http == 8500 && c.ports.https == -1 && c.ports.dns == 8600)
        #expect(c.ports.serfLan == 8301 && c.ports.serfWan == 8302 && c.ports.server == 8300)
        #expect(c.ports.grpc == -1 && c.ports.grpcTLS == -1)
        #expect(c.logLevel == "INFO")
        #expect(!c.uiEnabled)
        #expect(c.kvMaxValueSize == 524_288)
        #expect(c.defaultQueryTimeNanoseconds == 300_000_000_000)
        #expect(c.maxQueryTimeNanoseconds == 600_000_000_000)
        #expect(c.retryJoin.isEmpty && c.ignoredKeys.isEmpty)
        #expect(c.effectiveLeaveOnTerminate && !c.effectiveSkipLeaveOnInterrupt)
        #expect(c.effectiveAdvertiseAddr == "127.0.0.1")
    }

    /// Proves the `-dev` layer: server, bootstrap, loopback bind, UI, DEBUG, gRPC 8502/8503, no data dir needed.
    @Test func devLayer() throws {
        let c = try ConfigBuilder.build(dev: true, files: [], flags: ConfigLayer(), hostname: "devhost")
        #expect(c.devMode && c.server && c.bootstrap && c.uiEnabled)
        #expect(c.bindAddr == "127.0.0.1")
        #expect(c.logLevel == "DEBUG")
        #expect(c.ports.grpc == 8502)
        #expect(c.ports.grpcTLS == 8503)
        #expect(c.dataDir == "")
        #expect(c.nodeName == "devhost")
        #expect(c.effectiveAdvertiseAddr == "127.0.0.1")
        #expect(!c.effectiveLeaveOnTerminate && c.effectiveSkipLeaveOnInterrupt)
    }

    /// Proves files and flags override the dev layer, and an explicit gRPC TLS port is kept.
    @Test func devLayerCanBeOverridden() throws {
        let file = layer { $0.logLevel = "warn"; $0.grpcTLSPort = -1 }
        let c = try ConfigBuilder.build(dev: true, files: [file], flags: layer { $0.uiEnabled = false }, hostname: "h")
        #expect(c.logLevel == "WARN")
        #expect(c.ports.grpcTLS == -1)
        #expect(!c.uiEnabled)
        #expect(c.server)
    }

    /// Proves precedence: later files override earlier ones, flags override files, unset fields leave values alone.
    @Test func fileThenFlagPrecedence() throws {
        let first = layer { $0.datacenter = "east"; $0.nodeName = "from-file"; $0.httpPort = 9000; $0.dataDir = "/a" }
        let second = layer { $0.datacenter = "north"; $0.dataDir = "/b" }
        let cli = layer { $0.datacenter = "west" }
        let c = try ConfigBuilder.build(dev: false, files: [first, second], flags: cli, hostname: "host1")
        #expect(c.datacenter == "west")
        #expect(c.nodeName == "from-file")
        #expect(c.ports.http == 9000)
        #expect(c.dataDir == "/b")
        let noFlag = try ConfigBuilder.build(dev: false, files: [first, second], flags: ConfigLayer(), hostname: "host1")
        #expect(noFlag.datacenter == "north")
    }

    /// Proves list settings concatenate across files and flags, in source order.
    @Test func listsConcatenate() throws {
        let a = layer { $0.retryJoin = ["10.0.0.1"]; $0.ignoredKeys = ["telemetry"] }
        let b = layer { $0.retryJoin = ["10.0.0.2", "10.0.0.3"] }
        let c = try ConfigBuilder.build(dev: false, files: [a, b], flags: flags { $0.retryJoin = ["10.0.0.4"] }, hostname: "h")
        #expect(c.retryJoin == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])
        #expect(c.ignoredKeys == ["telemetry"])
    }

    /// Proves normalisation: datacenter lower-cased, log level aliases, client_addr split on spaces, expect 1 = bootstrap.
    @Test func normalisation() throws {
        let c = try ConfigBuilder.build(dev: false, files: [], flags: flags {
            $0.datacenter = "DC-2_a"
            $0.logLevel = "warning"
            $0.clientAddr = "127.0.0.1 ::1"
            $0.server = true
            $0.bootstrapExpect = 1
            $0.advertiseAddr = "10.1.2.3"
        }, hostname: "h")
        #expect(c.datacenter == "dc-2_a")
        #expect(c.logLevel == "WARN")
        #expect(c.clientAddrs == ["127.0.0.1", "::1"])
        #expect(c.bootstrap && c.bootstrapExpect == 0)
        #expect(c.ports.grpcTLS == 8503)
        #expect(c.effectiveAdvertiseAddr == "10.1.2.3")
        let err = try ConfigBuilder.build(dev: false, files: [], flags: flags { $0.logLevel = "err" }, hostname: "h")
        #expect(err.logLevel == "ERROR")
    }

    /// Proves each invalid setting is refused with a message naming the setting and the bad value.
    @Test(arguments: [
        ("bad datacenter", false, { (l: inout ConfigLayer) in l.datacenter = "bad dc!" },
         "datacenter: must be alphanumeric, dashes or underscores: bad dc!"),
        ("empty datacenter", false, { (l: inout ConfigLayer) in l.datacenter = "" },
         "datacenter: must be alphanumeric, dashes or underscores: "),
        ("missing data_dir", false, { (l: inout ConfigLayer) in l.dataDir = "" }, "data_dir cannot be empty"),
        ("bootstrap_expect in dev", true, { (l: inout ConfigLayer) in l.bootstrapExpect = 3 },
         "'bootstrap_expect > 0' not allowed in dev mode"),
        ("negative bootstrap_expect", false, { (l: inout ConfigLayer) in l.server = true; l.bootstrapExpect = -1 },
         "bootstrap_expect cannot be negative"),
        ("bootstrap without server", false, { (l: inout ConfigLayer) in l.bootstrap = true },
         "'bootstrap' and 'bootstrap_expect' require server mode"),
        ("bootstrap and expect", false, { (l: inout ConfigLayer) in l.server = true; l.bootstrap = true; l.bootstrapExpect = 3 },
         "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive"),
        ("bad log level", false, { (l: inout ConfigLayer) in l.logLevel = "LOUD" },
         "Invalid log level: LOUD. Valid log levels are: [TRACE DEBUG INFO WARN ERR ERROR]"),
        ("bind hostname", false, { (l: inout ConfigLayer) in l.bindAddr = "localhost" },
         "bind_addr: \"localhost\" is not a valid IP address"),
        ("bind octet too big", false, { (l: inout ConfigLayer) in l.bindAddr = "256.0.0.1" },
         "bind_addr: \"256.0.0.1\" is not a valid IP address"),
        ("bind three octets", false, { (l: inout ConfigLayer) in l.bindAddr = "10.0.1" },
         "bind_addr: \"10.0.1\" is not a valid IP address"),
        ("advertise any", false, { (l: inout ConfigLayer) in l.advertiseAddr = "0.0.0.0" },
         "Advertise address cannot be 0.0.0.0, :: or [::]"),
        ("bad client addr", false, { (l: inout ConfigLayer) in l.clientAddr = "127.0.0.1 nope" },
         "client_addr: \"nope\" is not a valid IP address"),
        ("bad node_id", false, { (l: inout ConfigLayer) in l.nodeID = "not-a-uuid" }, "node_id: invalid node ID: not-a-uuid"),
        ("node_id with bad hex", false, { (l: inout ConfigLayer) in l.nodeID = "zzzzzzzz-1111-2222-3333-444444444444" },
         "node_id: invalid node ID: zzzzzzzz-1111-2222-3333-444444444444"),
        ("port out of range", false, { (l: inout ConfigLayer) in l.httpPort = 70000 }, "ports.http must be between 1 and 65535, got 70000"),
        ("zero server port", false, { (l: inout ConfigLayer) in l.serverPort = 0 }, "ports.server must be between 1 and 65535, got 0"),
        ("zero kv size", false, { (l: inout ConfigLayer) in l.kvMaxValueSize = 0 }, "limits.kv_max_value_size must be positive"),
    ] as [(String, Bool, @Sendable (inout ConfigLayer) -> Void, String)])
    func validation(_ name: String, _ dev: Bool, _ edit: @Sendable (inout ConfigLayer) -> Void, _ message: String) {
        var l = dev ? ConfigLayer() : flags()
        edit(&l)
        #expect(buildError(dev: dev, flags: l)?.message == message, "\(name)")
    }

    /// Proves valid node IDs and IP forms are accepted.
    @Test func acceptsValidValues() throws {
        let c = try ConfigBuilder.build(dev: false, files: [], flags: flags {
            $0.nodeID = "0123abcd-ABCD-4ef0-8123-456789abcdef"
            $0.bindAddr = "::"
            $0.httpPort = -1
        }, hostname: "h")
        #expect(c.nodeID == "0123abcd-ABCD-4ef0-8123-456789abcdef")
        #expect(isIPAddress("10.20.30.40"))
        #expect(isIPAddress("fe80::1"))
        #expect(!isIPAddress("1.2.3.4.5"))
        #expect(!isIPAddress(""))
        #expect(isUUID("00000000-0000-0000-0000-000000000000"))
        #expect(!isUUID("00000000-0000-0000-0000-00000000000"))
    }

    /// Proves an empty node name falls back to the hostname, and an empty hostname is an error.
    @Test func nodeNameFallback() {
        #expect(buildError(flags: flags()) == nil)
        do {
            _ = try ConfigBuilder.build(dev: true, files: [], flags: ConfigLayer(), hostname: "")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "node_name cannot be empty")
        }
    }
}
