import Foundation
import Glibc
import Testing

/// Real-network addressing: four hosts made of network namespaces joined by a bridge on a
/// private /24 (created here, removed after). Three servers and a client start with **no**
/// bind or advertise flags — each must advertise its one private address, as Consul does —
/// and form a cluster that answers the catalog and DNS with those addresses.
@Suite(.serialized) struct NetworkNamespaceLiveTests {
    private let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
    private var bridgeNamespace: String { "cst\(tag)sw" }
    private func host(_ i: Int) -> String { "cst\(tag)h\(i)" }
    private func address(_ i: Int) -> String { "10.77.0.\(i)" }

    @discardableResult
    private func run(_ args: [String], timeoutSeconds: Double = 30) throws -> (status: Int32, output: String) {
        try runToolStatus(args, timeoutSeconds: timeoutSeconds)
    }

    private func must(_ args: [String]) throws {
        let r = try run(args)
        guard r.status == 0 else { throw NamespaceSetupError(command: args.joined(separator: " "), output: r.output) }
    }

    private func inHost(_ i: Int, _ args: [String]) throws -> String {
        try run(["ip", "netns", "exec", host(i)] + args).output
    }

    private func makeNetwork(hosts: Int) throws {
        try must(["ip", "netns", "add", bridgeNamespace])
        try must(["ip", "netns", "exec", bridgeNamespace, "ip", "link", "add", "br0", "type", "bridge"])
        try must(["ip", "netns", "exec", bridgeNamespace, "ip", "link", "set", "br0", "up"])
        for i in 1...hosts {
            try must(["ip", "netns", "add", host(i)])
            try must(["ip", "netns", "exec", host(i), "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "p\(i)", "netns", bridgeNamespace])
            try must(["ip", "netns", "exec", bridgeNamespace, "ip", "link", "set", "p\(i)", "master", "br0", "up"])
            try must(["ip", "netns", "exec", host(i), "ip", "addr", "add", address(i) + "/24", "dev", "eth0"])
            try must(["ip", "netns", "exec", host(i), "ip", "link", "set", "eth0", "up"])
            try must(["ip", "netns", "exec", host(i), "ip", "link", "set", "lo", "up"])
        }
    }

    private func removeNetwork(hosts: Int) {
        for name in (1...hosts).map(host) + [bridgeNamespace] {
            do { try run(["ip", "netns", "del", name]) } catch { print("removing \(name): \(error)") }
        }
    }

    @Test func agentsWithDefaultAddressesFormACluster() throws {
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/dig"), FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            #expect(!ci, "network namespaces need root, iproute2, dig and curl")
            return
        }
        let hosts = 4
        do { try makeNetwork(hosts: hosts) } catch {
            removeNetwork(hosts: hosts)
            throw error
        }
        defer { removeNetwork(hosts: hosts) }
        let binary = try consulBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("netns-\(tag)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        var agents: [(process: Process, log: String)] = []
        defer {
            for a in agents where a.process.isRunning { a.process.terminate() }
            for a in agents { a.process.waitUntilExit() }
        }
        for i in 1...hosts {
            // No -bind, -advertise or -client: the defaults (0.0.0.0 bind, loopback client).
            var args = ["netns", "exec", host(i), binary, "agent", "-data-dir", "\(dir)/d\(i)", "-node", "h\(i)",
                        "-retry-join", address(1), "-retry-interval", "1s"]
            if i <= 3 { args += ["-server", "-bootstrap-expect", "3"] }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
            process.arguments = args
            let log = "\(dir)/h\(i).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            agents.append((process, log))
        }
        func logs() -> String {
            agents.map { a in
                let text = (try? String(contentsOfFile: a.log, encoding: .utf8)) ?? ""
                return "--- \(a.log)\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
            }.joined(separator: "\n")
        }

        // The catalog, read through the client: four nodes at their namespaces' addresses.
        let nodes = pollValue(60, every: 500_000, { () -> [String: String] in
            let body = (try? inHost(4, ["curl", "-s", "-m", "2", "http://127.0.0.1:8500/v1/catalog/nodes"])) ?? ""
            guard let list = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else { return [:] }
            var out: [String: String] = [:]
            for n in list { if let name = n["Node"] as? String, let a = n["Address"] as? String { out[name] = a } }
            return out
        }) { $0.count == hosts }
        try #require(nodes.count == hosts, "catalog: \(nodes)\n\(logs())")
        for i in 1...hosts { #expect(nodes["h\(i)"] == address(i), "h\(i) advertised \(nodes["h\(i)"] ?? "nothing")") }

        let peers = try inHost(2, ["curl", "-s", "http://127.0.0.1:8500/v1/status/peers"])
        for i in 1...3 { #expect(peers.contains("\"\(address(i)):8300\""), "\(peers)") }
        let self4 = try inHost(4, ["curl", "-s", "http://127.0.0.1:8500/v1/agent/self"])
        #expect(self4.contains("\"AdvertiseAddr\":\"\(address(4))\"") || self4.contains("\(address(4))"), "\(self4.prefix(400))")

        // DNS through the client: the servers behind consul.service, a node by name.
        let servers = pollValue(20, every: 500_000, { () -> [String] in
            let out = (try? inHost(4, ["dig", "+short", "@127.0.0.1", "-p", "8600", "consul.service.consul"])) ?? ""
            return out.split(separator: "\n").map(String.init).sorted()
        }) { $0.count == 3 }
        #expect(servers == [address(1), address(2), address(3)], "\(servers)")
        let node2 = try inHost(4, ["dig", "+short", "@127.0.0.1", "-p", "8600", "h2.node.consul"])
        #expect(node2.trimmingCharacters(in: .whitespacesAndNewlines) == address(2))
    }
}

extension NetworkNamespaceLiveTests {
    /// HashiCorp's deployment-guide files (`/etc/consul.d/consul.hcl` + `server.hcl`; a client
    /// has `consul.hcl` only) as an operator writes them — retry_join, encrypt, performance,
    /// autopilot, telemetry, ui_config, client_addr 0.0.0.0, no bind or advertise — minus the
    /// ACL and TLS stanzas this build refuses: `consul validate` accepts them and a server and
    /// a client start from them unchanged on hosts with one private address each.
    @Test func deploymentGuideConfigsValidateAndStartUnchanged() throws {
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            #expect(!ci, "network namespaces need root, iproute2 and curl")
            return
        }
        let hosts = 2
        do { try makeNetwork(hosts: hosts) } catch {
            removeNetwork(hosts: hosts)
            throw error
        }
        defer { removeNetwork(hosts: hosts) }
        let binary = try consulBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("guide-\(tag)").path
        defer {
            do { try FileManager.default.removeItem(atPath: dir) } catch { print("cleanup \(dir): \(error)") }
        }
        func consulHCL(_ dataDir: String) -> String {
            """
            datacenter = "dc1"
            data_dir = "\(dataDir)"
            encrypt = "qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0="
            retry_join = ["\(address(1))"]
            performance {
              raft_multiplier = 1
            }
            autopilot {
              cleanup_dead_servers = true
              last_contact_threshold = "200ms"
              max_trailing_logs = 250
              server_stabilization_time = "10s"
            }
            telemetry {
              prometheus_retention_time = "480h"
              disable_hostname = true
            }
            """
        }
        let serverDir = dir + "/server.d", clientDir = dir + "/client.d"
        for d in [serverDir, clientDir] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try consulHCL(dir + "/server-data").write(toFile: serverDir + "/consul.hcl", atomically: true, encoding: .utf8)
        try """
        server = true
        bootstrap_expect = 1
        client_addr = "0.0.0.0"
        ui_config {
          enabled = true
        }
        """.write(toFile: serverDir + "/server.hcl", atomically: true, encoding: .utf8)
        try consulHCL(dir + "/client-data").write(toFile: clientDir + "/consul.hcl", atomically: true, encoding: .utf8)

        let validated = try inHost(1, [binary, "validate", serverDir])
        #expect(validated.contains("Configuration is valid!"), "\(validated)")
        #expect(try inHost(2, [binary, "validate", clientDir]).contains("Configuration is valid!"))

        var agents: [Process] = []
        defer {
            for a in agents where a.isRunning { a.terminate() }
            for a in agents { a.waitUntilExit() }
        }
        for (i, configDir) in [(1, serverDir), (2, clientDir)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", host(i), binary, "agent", "-config-dir", configDir, "-node", "g\(i)"]
            let log = "\(dir)/g\(i).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            agents.append(process)
        }
        let nodes = pollValue(60, every: 500_000, { () -> String in
            (try? inHost(2, ["curl", "-s", "-m", "2", "http://127.0.0.1:8500/v1/catalog/nodes"])) ?? ""
        }) { $0.contains("\"\(address(1))\"") && $0.contains("\"\(address(2))\"") }
        let logs = (1...2).map { (try? String(contentsOfFile: "\(dir)/g\($0).log", encoding: .utf8)) ?? "" }.joined(separator: "\n---\n")
        try #require(nodes.contains("\"\(address(2))\""), "catalog: \(nodes)\n\(logs.suffix(3000))")
        // The server's API on its private address (client_addr 0.0.0.0): the UI, Prometheus
        // metrics without the host name, and the gossip key in use.
        let ui = try inHost(2, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(address(1)):8500/ui/"])
        #expect(ui == "200")
        let metrics = try inHost(2, ["curl", "-s", "http://\(address(1)):8500/v1/agent/metrics?format=prometheus"])
        #expect(metrics.contains("consul_raft_state_leader") && metrics.contains("consul_runtime_rss_bytes"), "\(metrics.prefix(300))")
        let keyring = try inHost(1, ["curl", "-s", "http://127.0.0.1:8500/v1/operator/keyring"])
        #expect(keyring.contains("qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0="), "\(keyring.prefix(300))")
    }
}

private struct NamespaceSetupError: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "\(command): \(output)" }
}
