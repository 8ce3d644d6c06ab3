import Foundation
import Glibc
import Testing

/// Two datacenters, one server each, joined over the WAN pool: both see each other as
/// `<node>.<dc>`, list both datacenters, and requests with `?dc=` reach the other one.
@Suite(.serialized) struct WANLiveTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-wan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func body(_ agent: AgentProcess, _ target: String) -> (Int, String) {
        guard let r = try? HTTP.request("GET", target, port: agent.httpPort, timeoutMs: 10_000) else { return (0, "") }
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    @Test func twoDatacentersFederate() throws {
        let east = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-datacenter", "east", "-node", "e1",
                                                "-data-dir", try tempDir(), "-bind", "127.0.0.1"], dev: false)
        defer { east.stop() }
        let west = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-datacenter", "west", "-node", "w1",
                                                "-data-dir", try tempDir(), "-bind", "127.0.0.1",
                                                "-retry-join-wan", "127.0.0.1:\(east.ports["serf-wan-port"]!)"], dev: false)
        defer { west.stop() }

        let deadline = Date().addingTimeInterval(20)
        while body(east, "/v1/catalog/datacenters").1 != #"["east","west"]"# && Date() < deadline { usleep(200_000) }
        #expect(body(east, "/v1/catalog/datacenters").1 == #"["east","west"]"#)
        #expect(body(west, "/v1/catalog/datacenters").1 == #"["west","east"]"#)

        let members = try runCLI(["members", "-wan", "-http-addr=\(east.httpAddress)"])
        #expect(members.stdout.contains("e1.east") && members.stdout.contains("w1.west"), "\(members.stdout)")
        let lan = try runCLI(["members", "-http-addr=\(east.httpAddress)"])
        #expect(!lan.stdout.contains("w1"))

        // Wait for west to have a leader, then write there through east.
        let leaderDeadline = Date().addingTimeInterval(20)
        while body(west, "/v1/status/leader").1.count < 5 && Date() < leaderDeadline { usleep(200_000) }
        let put = try HTTP.request("PUT", "/v1/kv/where?dc=west", port: east.httpPort, body: Array("west".utf8))
        #expect(put.status == 200 && String(decoding: put.body, as: UTF8.self) == "true")
        #expect(body(west, "/v1/kv/where?raw").1 == "west")
        #expect(body(east, "/v1/kv/where?raw").0 == 404)
        #expect(body(east, "/v1/kv/where?raw&dc=west").1 == "west")
        // Coordinates: both servers probed each other over the WAN (5 s probe interval).
        let coordDeadline = Date().addingTimeInterval(20)
        var rtt = try runCLI(["rtt", "-wan", "-http-addr=\(east.httpAddress)", "w1.west"])
        while rtt.status != 0 && Date() < coordDeadline { usleep(500_000); rtt = try runCLI(["rtt", "-wan", "-http-addr=\(east.httpAddress)", "w1.west"]) }
        #expect(rtt.stdout.hasPrefix("Estimated w1.west <-> e1.east rtt: ") && rtt.stdout.contains(" ms (using WAN coordinates)"), "\(rtt.stdout)\(rtt.stderr)")
        let missing = try runCLI(["rtt", "-http-addr=\(east.httpAddress)", "nobody"])
        #expect(missing.status == 1 && missing.stderr.contains("Could not find a coordinate for node \"nobody\""))
        // Node coordinates are replicated: e1 sends its own a few seconds after it started.
        var coordinates = body(east, "/v1/coordinate/nodes")
        while !coordinates.1.contains(#""Node":"e1""#) && Date() < coordDeadline.addingTimeInterval(20) {
            usleep(200_000)
            coordinates = body(east, "/v1/coordinate/nodes")
        }
        #expect(coordinates.0 == 200 && coordinates.1.contains(#""Node":"e1""#), "\(coordinates.1)")
        let unknown = body(east, "/v1/kv/where?dc=nowhere")
        #expect(unknown.0 == 500 && unknown.1 == "No path to datacenter")
    }
}
