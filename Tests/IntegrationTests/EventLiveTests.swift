import Foundation
import Glibc
import HTTP1
import Testing

/// Waits (bounded) until `condition` holds, polling every 50 ms.
func eventually(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// User events through real agents: fired on one agent of a gossip pool, listed on the other
/// (a blocked list wakes), filtered by node, service and tag on each receiver; the CLI and
/// the API refuse bad input with Consul's texts.
@Suite(.serialized) struct EventLiveTests {
    func dataDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-events-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func events(_ agent: AgentProcess, name: String? = nil) throws -> [[String: Any]] {
        let target = "/v1/event/list" + (name.map { "?name=\($0)" } ?? "")
        return try HTTP.get(target, port: agent.httpPort).json as? [[String: Any]] ?? []
    }

    func names(_ agent: AgentProcess) throws -> [String] { try events(agent).compactMap { $0["Name"] as? String } }

    func alive(_ agent: AgentProcess, _ name: String) throws -> Bool {
        let list = try HTTP.get("/v1/agent/members", port: agent.httpPort).json as? [[String: Any]] ?? []
        return list.contains { $0["Name"] as? String == name && $0["Status"] as? Int == 1 }
    }

    func fire(_ agent: AgentProcess, _ args: [String]) throws -> String {
        let result = try runCLI(["event", "-http-addr=\(agent.httpAddress)"] + args)
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("Event ID: "), "\(result.stdout)")
        return String(line.dropFirst("Event ID: ".count))
    }

    /// Proves an event fired on a server reaches a client agent (waking its blocked list with the
    /// UUID-derived index), and that node/service/tag filters are applied by each receiver.
    @Test func eventsCrossTheGossipPoolAndFilter() throws {
        let server = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-data-dir", try dataDir(), "-node", "ev-s1",
                                                  "-bind", "127.0.0.1"], dev: false)
        let seed = "127.0.0.1:\(server.ports["serf-lan-port"]!)"
        let client = try AgentProcess(extraArgs: ["-data-dir", try dataDir(), "-node", "ev-c1", "-bind", "127.0.0.1",
                                                  "-retry-join", seed], dev: false)
        defer { server.stop(); client.stop() }
        #expect(try eventually(seconds: 20) { try alive(server, "ev-c1") && alive(client, "ev-s1") }, "\(client.log)")

        // A list blocked on the empty list's index (1) wakes when the event arrives by gossip.
        let empty = try HTTP.get("/v1/event/list?name=deploy", port: client.httpPort)
        #expect(empty.index == 1 && empty.json as? [Any] != nil)
        let woken = LockedBox<HTTPClientResponse>()
        let port = client.httpPort
        let blocked = Thread {
            woken.value = try? HTTP.get("/v1/event/list?name=deploy&index=1&wait=30s", port: port)
        }
        blocked.start()
        usleep(200_000) // let the request park; a later arrival only makes the test weaker, never wrong
        let id = try fire(server, ["-name", "deploy", "hello"])
        #expect(eventually(seconds: 15) { woken.value != nil }, "blocked list never woke\n\(client.log)")
        let response = try #require(woken.value)
        let list = try #require(response.json as? [[String: Any]])
        #expect(list.count == 1 && list[0]["ID"] as? String == id)
        #expect(list[0]["Payload"] as? String == "aGVsbG8=")
        let hex = id.replacingOccurrences(of: "-", with: "")
        let expectedIndex = UInt64(hex.prefix(16), radix: 16)! ^ UInt64(hex.suffix(16), radix: 16)!
        #expect(response.index == expectedIndex)
        // The firing agent recorded its own event.
        #expect(try names(server).contains("deploy"))

        // Node filter: only the named node records the event (the firing agent's own decision is
        // synchronous, so checking it right after the fire is exact).
        _ = try fire(server, ["-name", "for-client", "-node", "^ev-c"])
        #expect(try !names(server).contains("for-client"))
        #expect(try eventually(seconds: 15) { try names(client).contains("for-client") })
        _ = try fire(client, ["-name", "for-server", "-node", "ev-s1"])
        #expect(try !names(client).contains("for-server"))
        #expect(try eventually(seconds: 15) { try names(server).contains("for-server") })

        // Service and tag filters match the receiver's local services.
        let register = try HTTP.put("/v1/agent/service/register", port: client.httpPort, body: #"{"Name":"web","Tags":["v1"]}"#)
        #expect(register.status == 200)
        _ = try fire(server, ["-name", "to-web", "-service", "web", "-tag", "v1"])
        #expect(try !names(server).contains("to-web"))
        #expect(try eventually(seconds: 15) { try names(client).contains("to-web") })
        _ = try fire(client, ["-name", "to-web-v2", "-service", "web", "-tag", "v2"])
        #expect(try !names(client).contains("to-web-v2"))
        _ = try fire(client, ["-name", "to-db", "-service", "db"])
        #expect(try !names(client).contains("to-db"))
    }

    /// Proves the CLI's and API's refusals: missing name, tag without service, bad regex, oversized payload.
    @Test func badInputs() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let noName = try runCLI(["event", "-http-addr=\(agent.httpAddress)"])
        #expect(noName.status == 1 && noName.stderr.contains("Event name must be specified"))
        let tagOnly = try runCLI(["event", "-http-addr=\(agent.httpAddress)", "-name", "x", "-tag", "v1"])
        #expect(tagOnly.status == 1 && tagOnly.stderr.contains("Cannot provide tag filter without service filter."))
        let badRegex = try runCLI(["event", "-http-addr=\(agent.httpAddress)", "-name", "x", "-node", "(("])
        #expect(badRegex.status == 1 && badRegex.stderr.contains("Failed to compile node filter regexp"))
        let twoPayloads = try runCLI(["event", "-http-addr=\(agent.httpAddress)", "-name", "x", "a", "b"])
        #expect(twoPayloads.status == 1 && twoPayloads.stderr.contains("Too many command line arguments."))

        let missing = try HTTP.put("/v1/event/fire/", port: agent.httpPort)
        #expect(missing.status == 400 && missing.bodyText == "Missing name")
        let tag = try HTTP.put("/v1/event/fire/x?tag=v1", port: agent.httpPort)
        #expect(tag.status == 500 && tag.bodyText == "Cannot provide tag filter without service filter")
        let regex = try HTTP.put("/v1/event/fire/x?service=%5B", port: agent.httpPort)
        #expect(regex.status == 500 && regex.bodyText.hasPrefix("Invalid service filter: "))
        let big = try HTTP.put("/v1/event/fire/big", port: agent.httpPort, body: String(repeating: "a", count: 600))
        #expect(big.status == 500 && big.bodyText.contains("exceeds"), "\(big.bodyText)")
        #expect(try HTTP.get("/v1/event/fire/x", port: agent.httpPort).status == 405)
        #expect(try HTTP.get("/v1/event/list?wait=60", port: agent.httpPort).status == 400)
        #expect(try events(agent).isEmpty)

        // -dev: an event fired here is listed here.
        let fired = try HTTP.put("/v1/event/fire/solo?node=.", port: agent.httpPort, body: "x")
        #expect(fired.status == 200)
        let body = try #require(fired.json as? [String: Any])
        #expect(body["Version"] as? Int == 1 && body["LTime"] as? Int == 0 && body["NodeFilter"] as? String == ".")
        #expect(try events(agent, name: "solo").first?["ID"] as? String == body["ID"] as? String)
    }
}

/// A value handed from a helper thread to the test.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
