import Config
import Platform
import Testing

private let lo = NetworkInterface(name: "lo", isLoopback: true, addresses: [("127.0.0.1", 8), ("::1", 128)])

private func facts(_ interfaces: [NetworkInterface], defaults: [String] = ["eth0"]) -> NetworkFacts {
    NetworkFacts(interfaces: [lo] + interfaces, defaultRouteInterfaces: defaults)
}

private func build(_ network: NetworkFacts) throws -> AgentConfig { try build({ _ in }, network) }

private func error(_ network: NetworkFacts) -> String? { error({ _ in }, network) }

private func build(_ edit: (inout ConfigLayer) -> Void, _ network: NetworkFacts) throws -> AgentConfig {
    var flags = ConfigLayer()
    flags.dataDir = "/var/consul"
    edit(&flags)
    return try ConfigBuilder.build(dev: false, files: [], flags: flags, hostname: "h", network: network)
}

private func error(_ edit: (inout ConfigLayer) -> Void, _ network: NetworkFacts) -> String? {
    do { _ = try build(edit, network); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
}

/// Consul's choice of the advertise address for an ANY bind, over invented interface sets.
@Suite struct AddressDetectionTests {
    @Test func theOnePrivateIPv4IsAdvertised() throws {
        let c = try build(facts([NetworkInterface(name: "eth0", addresses: [("10.0.2.15", 24), ("fe80::1", 64)])]))
        #expect(c.bindAddr == "0.0.0.0" && c.effectiveAdvertiseAddr == "10.0.2.15")
        // RFC 6598 shared space counts as private; a down interface does not count.
        let cgnat = try build(facts([NetworkInterface(name: "eth0", addresses: [("100.64.7.9", 10)]),
                                     NetworkInterface(name: "eth1", isUp: false, addresses: [("192.168.1.2", 24)])]))
        #expect(cgnat.effectiveAdvertiseAddr == "100.64.7.9")
    }

    @Test func noneOrSeveralAreConsulsErrors() {
        #expect(error(facts([NetworkInterface(name: "eth0", addresses: [("203.0.113.5", 24)])])) == "No private IPv4 address found")
        // Only loopback up: its addresses are considered, and 127.0.0.1 is not private.
        #expect(error(facts([])) == "No private IPv4 address found")
        #expect(error(facts([NetworkInterface(name: "eth0", addresses: [("10.0.0.5", 24)]),
                             NetworkInterface(name: "eth1", addresses: [("192.168.1.7", 24)])]))
                == "Multiple private IPv4 addresses found. Please configure one with 'bind' and/or 'advertise'.")
    }

    @Test func ipv6OnlyHosts() throws {
        let v6 = facts([NetworkInterface(name: "eth0", addresses: [("2001:db8::5", 64), ("fd00::7", 64), ("fe80::1", 64)])])
        #expect(error(v6) == "No private IPv4 address found")
        let c = try build({ $0.bindAddr = "::" }, v6)
        #expect(c.effectiveAdvertiseAddr == "2001:db8::5")
        #expect(error({ $0.bindAddr = "::" }, facts([NetworkInterface(name: "eth0", addresses: [("fd00::7", 64)])])) == "No public IPv6 address found")
    }

    @Test func explicitAddressesWin() throws {
        let two = facts([NetworkInterface(name: "eth0", addresses: [("10.0.0.5", 24)]), NetworkInterface(name: "eth1", addresses: [("192.168.1.7", 24)])])
        #expect(try build({ $0.advertiseAddr = "192.168.1.7" }, two).effectiveAdvertiseAddr == "192.168.1.7")
        #expect(try build({ $0.bindAddr = "10.0.0.5" }, two).effectiveAdvertiseAddr == "10.0.0.5")
    }
}

/// go-sockaddr templates in address keys, evaluated over invented interfaces.
@Suite struct AddressTemplateTests {
    private let host = facts([NetworkInterface(name: "eth0", addresses: [("203.0.113.10", 24), ("10.1.2.3", 16)]),
                              NetworkInterface(name: "eth1", addresses: [("192.168.50.4", 24), ("fd12::4", 64)]),
                              NetworkInterface(name: "docker0", isUp: false, addresses: [("172.17.0.1", 16)])])

    private func expand(_ template: String) throws -> String {
        try AddressTemplate.expand(template, facts: host)
    }

    @Test func functions() throws {
        #expect(try expand(#"{{ GetPrivateIP }}"#) == "10.1.2.3", "the default-route interface first")
        #expect(try expand(#"{{ GetPrivateIPs }}"#) == "10.1.2.3 192.168.50.4 fd12::4")
        #expect(try expand(#"{{ GetPublicIP }}"#) == "203.0.113.10")
        #expect(try expand(#"{{ GetInterfaceIP "eth1" }}"#) == "192.168.50.4")
        #expect(try expand(#"{{ GetInterfaceIPs "eth1" }}"#) == "192.168.50.4 fd12::4")
        #expect(try expand(#"{{ GetInterfaceIP "eth9" }}"#) == "")
        #expect(try expand(#"{{ GetAllInterfaces | include "network" "10.0.0.0/8" | attr "address" }}"#) == "10.1.2.3")
        #expect(try expand(#"{{ GetAllInterfaces | include "name" "^eth1$" | include "type" "IPv6" | attr "address" }}"#) == "fd12::4")
        #expect(try expand(#"{{ GetAllInterfaces | include "flags" "up" | exclude "flags" "loopback" | sort "-address" | limit 1 | attr "address" }}"#) == "fd12::4")
        #expect(try expand(#"{{ GetDefaultInterfaces | include "rfc" "1918" | attr "address" }}"#) == "10.1.2.3")
        #expect(try expand(#"{{ GetPrivateInterfaces | join "name" "," }}"#) == "eth0,eth1,eth1")
        #expect(try expand(#"{{ GetAllInterfaces | include "name" "eth0" | attr "network" }}"#) == "203.0.113.0/24")
        #expect(try expand("10.9.9.9") == "10.9.9.9", "no action: the text itself")
    }

    @Test func inConfigKeys() throws {
        let c = try build({
            $0.bindAddr = #"{{ GetInterfaceIP "eth1" }}"#
            $0.clientAddr = #"127.0.0.1 {{ GetPrivateIP }}"#
            $0.retryJoin = [#"{{ GetAllInterfaces | include "network" "192.168.0.0/16" | attr "address" }}"#]
        }, host)
        #expect(c.bindAddr == "192.168.50.4" && c.effectiveAdvertiseAddr == "192.168.50.4")
        #expect(c.clientAddrs == ["127.0.0.1", "10.1.2.3"])
        #expect(c.retryJoin == ["192.168.50.4"])
        #expect(try build({ $0.bindAddr = "0.0.0.0"; $0.advertiseAddr = #"{{ GetPrivateIP }}"# }, host).effectiveAdvertiseAddr == "10.1.2.3")
    }

    @Test func listenerAddressesOverrideClientAddr() throws {
        var flags = ConfigLayer()
        flags.dataDir = "/var/consul"
        flags.bindAddr = "10.1.2.3"
        let file = try ConfigFile.parseJSON(Array(#"{"addresses": {"http": "127.0.0.1 {{ GetInterfaceIP \"eth1\" }}", "dns": "127.0.0.53", "grpc": "0.0.0.0"}}"#.utf8), path: "/c/a.json")
        let c = try ConfigBuilder.build(dev: false, files: [file], flags: flags, hostname: "h", network: host)
        #expect(c.effectiveHTTPAddrs == ["127.0.0.1", "192.168.50.4"])
        #expect(c.effectiveDNSAddrs == ["127.0.0.53"])
        #expect(c.clientAddrs == ["127.0.0.1"] && c.ignoredKeys == ["addresses.grpc"])
        let bad = try ConfigFile.parseJSON(Array(#"{"addresses": {"dns": "localhost"}}"#.utf8), path: "/c/b.json")
        #expect(throws: ConfigError.self) { try ConfigBuilder.build(dev: false, files: [bad], flags: flags, hostname: "h", network: host) }
    }

    @Test func errorsNameTheKeyAndTemplate() {
        #expect(error({ $0.bindAddr = #"{{ GetPrivateIPs }}"# }, host)
                == "bind_addr cannot contain multiple addresses. Use 'addresses.{dns,http,https}' instead.")
        #expect(error({ $0.bindAddr = #"{{ GetInterfaceIP "eth9" }}"# }, host) == "bind_addr cannot be empty")
        #expect(error({ $0.bindAddr = #"{{ Nope }}"# }, host) == #"bind_addr: error parsing "{{ Nope }}": function "Nope" not defined"#)
        #expect(error({ $0.bindAddr = #"{{ GetPrivateIP "#  }, host) == #"bind_addr: error parsing "{{ GetPrivateIP ": unclosed action"#)
        #expect(error({ $0.bindAddr = #"{{ GetAllInterfaces }}"# }, host)?.hasPrefix("bind_addr: error parsing") == true)
    }
}
