import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Testing

private let second: UInt64 = 1_000_000_000

extension APIHarness {
    /// Registers `node` in the catalog with a passing serfHealth (as the leader's reconciliation would).
    func registerNode(_ node: String, serfHealth: String = "passing") {
        var r = RegisterRequest()
        r.node.node = node
        r.node.address = "127.0.0.1"
        var c = HealthCheck()
        c.checkID = "serfHealth"
        c.name = "Serf Health Status"
        c.status = serfHealth
        r.checks = [c]
        store.apply(.catalogRegister(r), at: store.index + 1)
    }

    /// Creates a session through the API (with `random.value` chosen so the ID is distinct) and returns its ID.
    func createSession(_ body: String = "", random: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        self.random.value = random
        let answer = send("PUT", "/v1/session/create", body: body)
        #expect(answer.status == 200, "\(answer.text ?? "")", sourceLocation: sourceLocation)
        guard let body = answer.response?.body, let json = try? JSONParser.parse(body) else { return nil }
        return json["ID"]?.stringValue
    }
}

/// The sessions a session read answered with.
private func sessions(_ answer: Answer) -> [Session] {
    guard let body = answer.response?.body, let value = try? JSONParser.parse(body) else { return [] }
    return value.arrayValue?.compactMap { Session(json: $0) } ?? []
}

@Suite("Session endpoints")
struct SessionEndpointTests {
    /// Proves create answers `{"ID":…}` (a v4 UUID from the random source) and info shows every field in Consul's order.
    @Test func createAndInfoShape() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let answer = h.send("PUT", "/v1/session/create", body: #"{"Name":"web-lock","TTL":"15s","LockDelay":"5s"}"#)
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "application/json")
        let id = "00000000-0000-4000-8000-000000000000"
        #expect(answer.text == #"{"ID":"\#(id)"}"#)
        let index = h.store.index

        let info = h.send("GET", "/v1/session/info/\(id)")
        #expect(info.status == 200)
        #expect(info.text == #"[{"ID":"\#(id)","Name":"web-lock","Node":"node1","LockDelay":5000000000,"Behavior":"release","TTL":"15s","NodeChecks":["serfHealth"],"ServiceChecks":null,"CreateIndex":\#(index),"ModifyIndex":\#(index)}]"#)
        #expect(info.index == index)
        #expect(info.header("X-Consul-KnownLeader") == "true")
        #expect(info.header("X-Consul-LastContact") == "0")

        let unknown = h.send("GET", "/v1/session/info/nope")
        #expect(unknown.status == 200)
        #expect(unknown.text == "[]")
        #expect(unknown.index == index)
    }

    /// Proves an empty body takes Consul's defaults: the agent's node, 15 s lock-delay, release, no TTL, serfHealth.
    @Test func createDefaults() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let id = try #require(h.createSession(random: 7))
        let s = try #require(h.store.session(id))
        #expect(s.node == "node1")
        #expect(s.lockDelay == 15 * second)
        #expect(s.behavior == .release)
        #expect(s.ttl == "")
        #expect(s.nodeChecks == ["serfHealth"])
        #expect(s.serviceChecks.isEmpty)
        #expect(s.name == "")
    }

    /// Proves lowercase field names (py-consul), a bare LockDelay below 1000 meaning seconds, delete behavior, and an empty NodeChecks.
    @Test func createLowercaseFields() throws {
        let h = APIHarness()
        h.registerNode("node1")
        h.registerNode("other")
        let id = try #require(h.createSession(#"{"name":"x","node":"other","ttl":"10s","behavior":"delete","lockdelay":3,"nodechecks":[]}"#, random: 1))
        let s = try #require(h.store.session(id))
        #expect(s.name == "x")
        #expect(s.node == "other")
        #expect(s.ttl == "10s")
        #expect(s.behavior == .delete)
        #expect(s.lockDelay == 3 * second)
        #expect(s.nodeChecks.isEmpty)
        // Nanoseconds when 1000 or more.
        let ns = try #require(h.createSession(#"{"LockDelay":2500000000}"#, random: 2))
        #expect(h.store.session(ns)?.lockDelay == 2_500_000_000)
    }

    /// Proves bad TTLs and behaviors are 400 (client errors, issue #9) with Consul's texts, malformed JSON is 400, and none reaches the backend.
    @Test func createValidation() {
        let h = APIHarness()
        h.registerNode("node1")
        let cases: [(String, Int, String)] = [
            (#"{"TTL":"5s"}"#, 400, "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]"),
            (#"{"TTL":"25h"}"#, 400, "Invalid Session TTL '90000000000000', must be between [10s=24h0m0s]"),
            (#"{"TTL":"9.999s"}"#, 400, "Invalid Session TTL '9999000000', must be between [10s=24h0m0s]"),
            (#"{"TTL":"abc"}"#, 400, #"Session TTL 'abc' invalid: time: invalid duration "abc""#),
            (#"{"Behavior":"explode"}"#, 400, "Invalid Behavior setting 'explode'"),
        ]
        for (body, status, text) in cases {
            let answer = h.send("PUT", "/v1/session/create", body: body)
            #expect(answer.status == status, "\(body)")
            #expect(answer.text == text, "\(body)")
        }
        let malformed = h.send("PUT", "/v1/session/create", body: #"{"Name":"#)
        #expect(malformed.status == 400)
        #expect(malformed.text?.hasPrefix("Request decode failed") == true)
        let notObject = h.send("PUT", "/v1/session/create", body: "[1]")
        #expect(notObject.status == 400)
        #expect(h.backend.appliedCount == 0)
        #expect(h.store.allSessions.isEmpty)
        // The bounds themselves are fine, as is 0 (no TTL).
        for body in [#"{"TTL":"10s"}"#, #"{"TTL":"24h"}"#, #"{"TTL":"0s"}"#] {
            h.random.value += 1
            #expect(h.send("PUT", "/v1/session/create", body: body).status == 200, "\(body)")
        }
        #expect(h.store.allSessions.map(\.ttl).sorted() == ["", "10s", "24h"])
    }

    /// Proves the state machine's refusals (no node, missing or critical check) are 500 with their texts.
    @Test func createRefusedByState() {
        let h = APIHarness()
        let noNode = h.send("PUT", "/v1/session/create")
        #expect(noNode.status == 500)
        #expect(noNode.text == "Missing node registration")
        h.registerNode("node1", serfHealth: "critical")
        let critical = h.send("PUT", "/v1/session/create")
        #expect(critical.status == 500)
        #expect(critical.text == "Check 'serfHealth' is in critical state")
        let missing = h.send("PUT", "/v1/session/create", body: #"{"NodeChecks":["nope"]}"#)
        #expect(missing.status == 500)
        #expect(missing.text == "Missing check 'nope' registration")
        #expect(h.store.allSessions.isEmpty)
    }

    /// Proves renew answers the session array, unknown IDs get 404 `Session id '<id>' not found`, destroy is always `true`.
    @Test func renewAndDestroy() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let id = try #require(h.createSession(#"{"TTL":"10s"}"#, random: 3))
        let renewed = h.send("PUT", "/v1/session/renew/\(id)")
        #expect(renewed.status == 200)
        #expect(sessions(renewed).map(\.id) == [id])
        #expect(sessions(renewed).first?.ttl == "10s")

        let unknown = h.send("PUT", "/v1/session/renew/abc")
        #expect(unknown.status == 404)
        #expect(unknown.text == "Session id 'abc' not found")

        let destroyed = h.send("PUT", "/v1/session/destroy/\(id)")
        #expect(destroyed.status == 200)
        #expect(destroyed.text == "true")
        #expect(h.store.session(id) == nil)
        #expect(h.send("PUT", "/v1/session/destroy/\(id)").text == "true")
        #expect(h.send("PUT", "/v1/session/renew/\(id)").status == 404)

        for path in ["/v1/session/renew/", "/v1/session/destroy/", "/v1/session/info/"] {
            let missing = h.send(path.hasSuffix("info/") ? "GET" : "PUT", path)
            #expect(missing.status == 400, "\(path)")
            #expect(missing.text == "Missing session", "\(path)")
        }
        let noNode = h.send("GET", "/v1/session/node/")
        #expect(noNode.status == 400)
        #expect(noNode.text == "Missing node name")
    }

    /// Proves list and node answer every session (ID order) or a node's, `[]` when none, with the sessions index.
    @Test func listAndNode() throws {
        let h = APIHarness()
        #expect(h.send("GET", "/v1/session/list").text == "[]")
        #expect(h.send("GET", "/v1/session/list").index == 1)
        h.registerNode("node1")
        h.registerNode("n2")
        let a = try #require(h.createSession(random: 0xAAAA))
        let b = try #require(h.createSession(random: 0x1111))
        let c = try #require(h.createSession(#"{"Node":"n2"}"#, random: 0x5555))
        #expect(Set([a, b, c]).count == 3)
        let list = h.send("GET", "/v1/session/list")
        #expect(list.status == 200)
        #expect(sessions(list).map(\.id) == [a, b, c].sorted())
        #expect(list.index == h.store.sessionsIndex)
        #expect(sessions(h.send("GET", "/v1/session/node/node1")).map(\.id) == [a, b].sorted())
        #expect(sessions(h.send("GET", "/v1/session/node/n2")).map(\.id) == [c])
        let none = h.send("GET", "/v1/session/node/ghost")
        #expect(none.status == 200)
        #expect(none.text == "[]")
        #expect(none.index == h.store.sessionsIndex)
        // Pretty printing keeps the shape.
        #expect(h.send("GET", "/v1/session/node/ghost?pretty").text == "[]\n")
    }

    /// Proves a blocked list wakes on a create, a blocked info on a destroy, and a blocked node read times out with the same index.
    @Test func blockingOnSessionsIndex() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let first = try #require(h.createSession(random: 1))
        let index = h.store.sessionsIndex
        let list = h.send("GET", "/v1/session/list?index=\(index)&wait=1m")
        let info = h.send("GET", "/v1/session/info/\(first)?index=\(index)&wait=1m")
        #expect(!list.answered)
        #expect(!info.answered)
        // KV writes do not wake session readers.
        h.put("unrelated", "x")
        #expect(!list.answered)
        let other = try #require(h.createSession(random: 2))
        #expect(list.count == 1)
        #expect(list.index == h.store.sessionsIndex)
        #expect(sessions(list).map(\.id).sorted() == [first, other].sorted())
        // The info query is woken too (sessions table changed) and shows the session still there.
        #expect(info.count == 1)
        #expect(sessions(info).map(\.id) == [first])

        let infoIndex = h.store.sessionsIndex
        let info2 = h.send("GET", "/v1/session/info/\(first)?index=\(infoIndex)&wait=1m")
        #expect(!info2.answered)
        #expect(h.send("PUT", "/v1/session/destroy/\(first)").text == "true")
        #expect(info2.count == 1)
        #expect(info2.text == "[]")
        #expect((info2.index ?? 0) > infoIndex)

        let nodeIndex = h.store.sessionsIndex
        let node = h.send("GET", "/v1/session/node/node1?index=\(nodeIndex)&wait=1s")
        h.clock.advance(by: 2 * second)
        #expect(node.count == 1)
        #expect(node.index == nodeIndex)
        #expect(sessions(node).map(\.id) == [other])
    }

    /// Proves `?acquire=`/`?release=` through HTTP: true/false answers, Session on the entry, release writing the body.
    @Test func kvAcquireAndRelease() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let a = try #require(h.createSession(random: 10))
        let b = try #require(h.createSession(random: 20))
        let acquired = h.send("PUT", "/v1/kv/leader?acquire=\(a)&flags=5", body: "me")
        #expect(acquired.status == 200)
        #expect(acquired.text == "true")
        let entry = try #require(entries(h.send("GET", "/v1/kv/leader")).first)
        #expect(entry.session == a)
        #expect(entry.lockIndex == 1)
        #expect(entry.flags == 5)
        #expect(entry.value == Array("me".utf8))
        #expect(h.send("GET", "/v1/kv/leader").text?.contains(#""Session":"\#(a)""#) == true)

        #expect(h.send("PUT", "/v1/kv/leader?acquire=\(b)", body: "them").text == "false")
        #expect(h.send("PUT", "/v1/kv/leader?acquire=\(a)", body: "me again").text == "true")
        #expect(entries(h.send("GET", "/v1/kv/leader")).first?.lockIndex == 1)
        #expect(h.send("PUT", "/v1/kv/leader?release=\(b)", body: "x").text == "false")

        let released = h.send("PUT", "/v1/kv/leader?release=\(a)", body: "released")
        #expect(released.text == "true")
        let after = try #require(entries(h.send("GET", "/v1/kv/leader")).first)
        #expect(after.session == "")
        #expect(after.lockIndex == 1)
        #expect(after.value == Array("released".utf8))
        #expect(h.send("GET", "/v1/kv/leader").text?.contains("Session") == false)

        // Unknown and empty sessions are client errors (400), not false.
        let unknown = h.send("PUT", "/v1/kv/leader?acquire=nope")
        #expect(unknown.status == 400)
        #expect(unknown.text == #"invalid session "nope""#)
        let empty = h.send("PUT", "/v1/kv/leader?acquire=")
        #expect(empty.status == 400)
        #expect(empty.text == "missing session")

        // Destroying the holder through the API releases the key, keeping its value.
        #expect(h.send("PUT", "/v1/kv/leader?acquire=\(b)", body: "b").text == "true")
        #expect(entries(h.send("GET", "/v1/kv/leader")).first?.lockIndex == 2)
        h.send("PUT", "/v1/session/destroy/\(b)")
        let orphan = try #require(entries(h.send("GET", "/v1/kv/leader")).first)
        #expect(orphan.session == "")
        #expect(orphan.value == Array("b".utf8))
    }

    /// Proves a KV reader blocked on a locked key wakes when the holder's session is destroyed (the Go lock helper's wait).
    @Test func lockWaiterWakesOnDestroy() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let a = try #require(h.createSession(#"{"Behavior":"delete"}"#, random: 10))
        #expect(h.send("PUT", "/v1/kv/svc/leader?acquire=\(a)", body: "x").text == "true")
        let index = try #require(h.send("GET", "/v1/kv/svc/leader").index)
        let waiter = h.send("GET", "/v1/kv/svc/leader?index=\(index)&wait=1m")
        #expect(!waiter.answered)
        h.send("PUT", "/v1/session/destroy/\(a)")
        #expect(waiter.count == 1)
        #expect(waiter.status == 404)
        #expect((waiter.index ?? 0) > index)
    }
}
