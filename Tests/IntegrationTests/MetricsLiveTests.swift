import Foundation
import Glibc
import Testing

/// `/v1/agent/metrics` from real agents (docs/metrics.md): Consul's JSON shape, Prometheus text
/// that promtool parses, and a real Prometheus scraping a three-server cluster.
@Suite(.serialized) struct MetricsLiveTests {
    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-metrics-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func telemetryFile(_ dir: String) throws -> String {
        let path = dir + "/telemetry.hcl"
        try "telemetry {\n  prometheus_retention_time = \"60s\"\n  disable_hostname = true\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func tool(_ path: String) -> Bool {
        if FileManager.default.isExecutableFile(atPath: path) { return true }
        #expect(ProcessInfo.processInfo.environment["CI"] != "true", "\(path) is not installed (make deps installs it)")
        return false
    }

    private func text(_ path: String, port: Int) -> String {
        do { return String(decoding: try HTTP.get(path, port: port).body, as: UTF8.self) } catch { return "" }
    }

    /// The JSON go-metrics' in-memory sink serves: the last finished 10-second interval with
    /// `Timestamp`, `Gauges`, `Points`, `Counters` and `Samples`; a KV write shows up as
    /// `consul.kvs.apply` and `consul.api.http` with Consul's labels.
    @Test func jsonShape() throws {
        let agent = try AgentProcess()
        #expect(try HTTP.put("/v1/kv/metrics-json", port: agent.httpPort, body: "x").status == 200)
        // The write lands in the current interval; it is shown once that interval has finished.
        let body = pollValue(25, every: 500_000, { text("/v1/agent/metrics", port: agent.httpPort) }) {
            $0.contains("\"consul.kvs.apply\"")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        #expect(Set(json.keys) == ["Timestamp", "Gauges", "Points", "Counters", "Samples"])
        let stamp = try #require(json["Timestamp"] as? String)
        #expect(stamp.hasSuffix(" +0000 UTC") && stamp.count == "2017-08-08 02:55:10 +0000 UTC".count, "\(stamp)")
        #expect(stamp.dropLast(10).hasSuffix("0"), "interval starts on a 10-second boundary: \(stamp)")
        let samples = try #require(json["Samples"] as? [[String: Any]])
        let kvs = try #require(samples.first { $0["Name"] as? String == "consul.kvs.apply" })
        for key in ["Count", "Rate", "Sum", "Min", "Max", "Mean", "Stddev", "Labels"] { #expect(kvs[key] != nil, "\(key)") }
        #expect(kvs["Count"] as? Int == 1)
        let http = samples.first { ($0["Name"] as? String) == "consul.api.http" && ($0["Labels"] as? [String: String]) == ["method": "PUT", "path": "v1_kv_"] }
        #expect(http != nil, "\(samples.map { $0["Name"] ?? "" })")
        let gauges = try #require(json["Gauges"] as? [[String: Any]])
        let names = Set(gauges.compactMap { $0["Name"] as? String })
        for name in ["consul.raft.last_index", "consul.raft.applied_index", "consul.runtime.rss_bytes", "consul.server.isLeader"] {
            #expect(names.contains(name), "\(name) in \(names.sorted())")
        }
        let counters = try #require(json["Counters"] as? [[String: Any]])
        #expect(counters.contains { $0["Name"] as? String == "consul.raft.apply" })
        // Without telemetry.prometheus_retention_time, Prometheus format is off (Consul 1.20's answer).
        let prom = try HTTP.get("/v1/agent/metrics?format=prometheus", port: agent.httpPort)
        #expect(prom.status == 200 && prom.body.isEmpty)
        #expect(prom.headers["X-Consul-Reason"] == "Prometheus is not enabled since its retention time is not positive")
    }

    /// A real Prometheus scrapes three servers: exactly one reports `consul_raft_state_leader` 1,
    /// `consul_kvs_apply_count` rises after writes, and promtool parses the exposition (its only
    /// complaints are Consul's own names: counters without `_total`, camelCase Raft names).
    @Test func prometheusScrapesAThreeServerCluster() throws {
        guard tool("/usr/bin/prometheus"), tool("/usr/bin/promtool") else { return }
        let dir = try tempDir()
        let telemetry = try telemetryFile(dir)
        var servers: [AgentProcess] = []
        for i in 1...3 {
            var args = ["-server", "-bootstrap-expect", "3", "-data-dir", dir + "/s\(i)", "-node", "m\(i)", "-bind", "127.0.0.1",
                        "-config-file", telemetry]
            if let first = servers.first { args += ["-retry-join", "127.0.0.1:\(first.ports["serf-lan-port"]!)", "-retry-interval", "1s"] }
            servers.append(try AgentProcess(extraArgs: args, dev: false))
        }
        defer { for s in servers { s.stop() } }
        let leaderKnown = pollValue(30, { servers.map { text("/v1/status/leader", port: $0.httpPort) } }) { views in
            views.allSatisfy { $0.count > 2 && $0 == views[0] }
        }
        try #require(leaderKnown.allSatisfy { $0.count > 2 }, "\(leaderKnown)")

        // promtool on one exposition.
        let exposition = text("/v1/agent/metrics?format=prometheus", port: servers[0].httpPort)
        #expect(exposition.contains("# TYPE consul_raft_apply counter"))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        check.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        check.standardInput = input
        check.standardOutput = output
        check.standardError = output
        try check.run()
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let lint = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(!lint.contains("error"), "\(lint)")
        for line in lint.split(separator: "\n") {
            #expect(line.hasSuffix("counter metrics should have \"_total\" suffix") || line.contains("should be written in 'snake_case' not 'camelCase'"),
                    "unexpected promtool finding: \(line)")
        }

        // Prometheus itself, scraping all three every second.
        let promPort = try freePort()
        let targets = servers.map { "'127.0.0.1:\($0.httpPort)'" }.joined(separator: ", ")
        try """
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: consul
            metrics_path: /v1/agent/metrics
            params:
              format: ['prometheus']
            static_configs:
              - targets: [\(targets)]
        """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/tsdb",
                                "--web.listen-address=127.0.0.1:\(promPort)", "--log.level=warn"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }
        func query(_ promQL: String) -> [(instance: String, value: Double)] {
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "query", value: promQL)]
            let body = text("/api/v1/query?" + (components.percentEncodedQuery ?? ""), port: promPort)
            guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                  let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
            return result.compactMap { series in
                guard let metric = series["metric"] as? [String: String], let value = series["value"] as? [Any],
                      value.count == 2, let number = Double(value[1] as? String ?? "") else { return nil }
                return (metric["instance"] ?? "", number)
            }
        }
        let leaders = pollValue(30, every: 500_000, { query("consul_raft_state_leader") }) { $0.count == 3 }
        #expect(leaders.count == 3, "\(leaders)")
        #expect(leaders.filter { $0.value == 1 }.count == 1 && leaders.filter { $0.value == 0 }.count == 2, "\(leaders)")

        let before = pollValue(10, every: 500_000, { query("sum(consul_kvs_apply_count)") }) { !$0.isEmpty }.first?.value ?? -1
        #expect(before >= 0)
        for i in 0..<5 { #expect(try HTTP.put("/v1/kv/prom-\(i)", port: servers[i % 3].httpPort, body: "v").status == 200) }
        let after = pollValue(20, every: 500_000, { query("sum(consul_kvs_apply_count)").first?.value ?? -1 }) { $0 >= before + 5 }
        #expect(after >= before + 5, "consul_kvs_apply_count went from \(before) to \(after)")

        // The leader times AppendEntries to each follower (hashicorp/raft's peer_id label), and
        // every server times its gossip rounds and probes.
        let replication = pollValue(20, every: 500_000, { query("consul_raft_replication_appendEntries_rpc_count") }) { $0.count == 2 }
        #expect(replication.count == 2, "one series per follower: \(replication)")
        #expect(Set(replication.map(\.instance)).count == 1, "all on the leader: \(replication)")
        let logs = query("sum(consul_raft_replication_appendEntries_logs)").first?.value ?? 0
        #expect(logs >= 10, "each write replicated to two followers: \(logs)")
        for series in ["consul_memberlist_gossip_count{network=\"lan\"}", "consul_memberlist_probeNode_count{network=\"lan\"}"] {
            let found = pollValue(20, every: 500_000, { query(series) }) { $0.count == 3 }
            #expect(found.count == 3, "\(series): \(found)")
        }
    }

    /// `/v1/agent/metrics/stream`: each finished interval arrives as one JSON document per line,
    /// in `/v1/agent/metrics`' shape.
    @Test func streamSendsEachFinishedInterval() throws {
        let agent = try AgentProcess()
        let connection = try RawConnection(port: agent.httpPort, timeoutMs: 30_000)
        try connection.send("GET /v1/agent/metrics/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try HTTP.put("/v1/kv/metrics-stream", port: agent.httpPort, body: "x").status == 200)
        var received: [UInt8] = []
        var documents: [[String: Any]] = []
        // Chunked framing around the lines: take the JSON objects out of the raw bytes
        // (split on the byte: in Swift "\r\n" is one Character, not two).
        let deadline = Date().addingTimeInterval(40)
        while documents.count < 2 && Date() < deadline {
            let chunk = try connection.readChunk()
            try #require(!chunk.isEmpty, "the stream ended")
            received += chunk
            documents = received.split(separator: 10).compactMap { line in
                guard line.first == UInt8(ascii: "{") else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            }
        }
        let head = String(decoding: received.prefix(200), as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("Transfer-Encoding: chunked"), "\(head)")
        for document in documents {
            #expect(Set(document.keys) == ["Timestamp", "Gauges", "Points", "Counters", "Samples"])
        }
        let stamps = documents.compactMap { $0["Timestamp"] as? String }
        #expect(stamps.count == 2 && stamps[0] < stamps[1], "consecutive intervals: \(stamps)")
        let samples = documents.flatMap { ($0["Samples"] as? [[String: Any]]) ?? [] }
        #expect(samples.contains { $0["Name"] as? String == "consul.kvs.apply" }, "the write shows in the interval it fell in")
    }

    /// `telemetry { statsd_address, dogstatsd_addr, dogstatsd_tags }`: real UDP listeners get
    /// go-metrics' statsd lines (label values in the name, `%f` values, host name in gauges) and
    /// DogStatsD lines (labels and global tags as tags, no host name in names).
    @Test func statsdAndDogStatsDReceiveUpdates() throws {
        let statsd = try UDPListener(), dog = try UDPListener()
        let dir = try tempDir()
        try """
        telemetry {
          statsd_address = "127.0.0.1:\(statsd.port)"
          dogstatsd_addr = "127.0.0.1:\(dog.port)"
          dogstatsd_tags = ["env:test"]
        }
        """.write(toFile: dir + "/telemetry.hcl", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(extraArgs: ["-config-file", dir + "/telemetry.hcl", "-node", "statsdnode"])
        defer { agent.stop() }
        #expect(try HTTP.put("/v1/kv/statsd", port: agent.httpPort, body: "x").status == 200)
        let plain = statsd.lines(until: 20) { lines in
            lines.contains { $0.hasPrefix("consul.kvs.apply:") } && lines.contains { $0.hasPrefix("consul.statsdnode.runtime.rss_bytes:") }
        }
        let kvs = try #require(plain.first { $0.hasPrefix("consul.kvs.apply:") }, "\(plain.prefix(20))")
        #expect(kvs.range(of: #"^consul\.kvs\.apply:[0-9]+\.[0-9]{6}\|ms$"#, options: .regularExpression) != nil, "\(kvs)")
        #expect(plain.contains { $0.range(of: #"^consul\.api\.http\.PUT\.v1_kv_:[0-9]+\.[0-9]{6}\|ms$"#, options: .regularExpression) != nil })
        #expect(plain.contains { $0.range(of: #"^consul\.statsdnode\.runtime\.rss_bytes:[0-9]+\.000000\|g$"#, options: .regularExpression) != nil })

        let tagged = dog.lines(until: 20) { lines in lines.contains { $0.hasPrefix("consul.runtime.rss_bytes:") } && lines.contains { $0.hasPrefix("consul.api.http:") } }
        #expect(tagged.contains { $0.range(of: #"^consul\.runtime\.rss_bytes:[0-9]+\|g\|#env:test$"#, options: .regularExpression) != nil }, "\(tagged.prefix(20))")
        #expect(tagged.contains { $0.range(of: #"^consul\.api\.http:[0-9.]+\|ms\|#env:test,method:PUT,path:v1_kv_$"#, options: .regularExpression) != nil })
        #expect(!tagged.contains { $0.contains("statsdnode.runtime") }, "the host name is a tag's business in DogStatsD")
    }
}

/// A UDP socket on loopback that collects newline-separated lines (a statsd server's view).
private final class UDPListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: addr.sin_port))
        var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Lines received until `done` holds or `seconds` pass.
    func lines(until seconds: Double, _ done: ([String]) -> Bool) -> [String] {
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !done(lines) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { lines += String(decoding: buffer[..<n], as: UTF8.self).split(separator: "\n").map(String.init) }
        }
        return lines
    }
}
