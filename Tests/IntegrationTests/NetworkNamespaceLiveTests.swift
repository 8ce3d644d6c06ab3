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

    /// Runs a command to completion (output to a file: a pipe could be inherited by agents).
    @discardableResult
    private func run(_ args: [String], timeoutSeconds: Double = 30) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        let out = try OutputFile()
        process.standardOutput = out.handle
        process.standardError = out.handle
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        defer { watchdog.cancel() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out.contents(), as: UTF8.self))
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

private struct NamespaceSetupError: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "\(command): \(output)" }
}
