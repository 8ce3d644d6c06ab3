import Foundation
import Glibc
import Testing

/// Sessions, locks and transactions against a real `consul agent -dev` process: the leader's TTL
/// sweep, invalidation by the agent's own checks and by catalog deregistration, lock-delay on
/// the leader's clock, and txn atomicity — all in one agent, the sub-cases run concurrently so
/// the suite costs about one TTL expiry (~21 s) of wall time.
@Suite struct SessionLiveTests {
    private struct Live {
        let port: Int
        let node: String

        func put(_ path: String, _ body: String = "") throws -> HTTPClientResponseAlias {
            try HTTP.request("PUT", path, port: port, body: Array(body.utf8))
        }
        func get(_ path: String) throws -> HTTPClientResponseAlias { try HTTP.get(path, port: port) }

        /// Creates a session and returns its ID (nil, with the answer recorded, when refused).
        func createSession(_ body: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
            let answer = try put("/v1/session/create", body)
            #expect(answer.status == 200, "\(answer.bodyText)", sourceLocation: sourceLocation)
            return (answer.json as? [String: Any])?["ID"] as? String
        }
        func acquire(_ key: String, _ session: String, _ value: String = "v") throws -> Bool {
            try put("/v1/kv/\(key)?acquire=\(session)", value).bodyText.contains("true")
        }
        /// The key's holder ("" when unlocked, nil when the key is absent).
        func holder(_ key: String) throws -> String? {
            guard let entries = try get("/v1/kv/\(key)").json as? [[String: Any]], let entry = entries.first else { return nil }
            return entry["Session"] as? String ?? ""
        }
        func sessionExists(_ id: String) throws -> Bool {
            ((try get("/v1/session/info/\(id)").json as? [Any]) ?? []).count == 1
        }
        /// Polls `condition` every 100 ms until it holds or `seconds` pass.
        func eventually(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try condition() { return true }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            return try condition()
        }
        func checkStatus(_ node: String, _ checkID: String) throws -> String? {
            let checks = (try get("/v1/health/node/\(node)").json as? [[String: Any]]) ?? []
            return checks.first { $0["CheckID"] as? String == checkID }?["Status"] as? String
        }
    }

    /// Proves, on one live dev agent: (a) a TTL session not renewed is destroyed by the leader after 2×TTL and its lock
    /// released, while a renewed one survives; (b) an agent TTL check bound in NodeChecks failing destroys the session;
    /// (c) deregistering the session's node destroys it; (d) lock-delay after a holder's destroy refuses the other
    /// session until it runs out; (e) a txn with a failing op over HTTP applies nothing.
    @Test func sessionsOnLiveAgent() async throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let selfInfo = try HTTP.get("/v1/agent/self", port: agent.httpPort).json as? [String: Any]
        let node = try #require((selfInfo?["Config"] as? [String: Any])?["NodeName"] as? String)
        let live = Live(port: agent.httpPort, node: node)
        // Sessions need the node and its serfHealth in the catalog (the leader's reconciliation).
        #expect(try await live.eventually(15) { try live.checkStatus(node, "serfHealth") == "passing" })

        async let ttl: Void = ttlExpiry(live)
        async let check: Void = boundCheckFails(live)
        async let nodeGone: Void = nodeDeregistered(live)
        async let contention: Void = lockDelayContention(live)
        async let txn: Void = failingTxn(live)
        _ = try await (ttl, check, nodeGone, contention, txn)
    }

    /// (a) TTL 10s: the leader destroys an unrenewed session between 20 s and ~25 s; a session renewed every 3 s survives.
    private func ttlExpiry(_ live: Live) async throws {
        let started = Date()
        let lapsed = try #require(try live.createSession(#"{"Name":"lapsed","TTL":"10s","LockDelay":"0s"}"#))
        let renewed = try #require(try live.createSession(#"{"Name":"renewed","TTL":"10s","LockDelay":"0s"}"#))
        #expect(try live.acquire("live/ttl/lapsed", lapsed))
        #expect(try live.acquire("live/ttl/renewed", renewed))

        var releasedAfter: Double?
        var lastRenew = Date()
        while Date().timeIntervalSince(started) < 26 {
            if Date().timeIntervalSince(lastRenew) >= 3 {
                let renew = try live.put("/v1/session/renew/\(renewed)")
                #expect(renew.status == 200)
                lastRenew = Date()
            }
            if releasedAfter == nil, try live.holder("live/ttl/lapsed") == "" {
                releasedAfter = Date().timeIntervalSince(started)
            }
            // Keep watching the renewed one a little past the other's expiry.
            if let after = releasedAfter, Date().timeIntervalSince(started) > after + 1 { break }
            // A blocking sleep keeps this thread: Task.sleep could hand it to the cooperative pool,
            // which the other live suites keep busy, and wake us far too late for the timeline.
            usleep(250_000)
        }
        let after = try #require(releasedAfter, "unrenewed TTL session never expired")
        #expect(after >= 19.5, "expired after \(after) s, before 2×TTL")
        #expect(after <= 25.5)
        #expect(try !live.sessionExists(lapsed))
        #expect(try live.put("/v1/session/renew/\(lapsed)").status == 404)
        #expect(try live.sessionExists(renewed))
        #expect(try live.holder("live/ttl/renewed") == renewed)
        #expect(try live.put("/v1/session/destroy/\(renewed)").status == 200)
    }

    /// (b) An agent TTL check bound in NodeChecks: `check/fail` makes it critical and the session dies, releasing its key.
    private func boundCheckFails(_ live: Live) async throws {
        let register = try live.put("/v1/agent/check/register", #"{"ID":"live-bound","Name":"live bound","TTL":"60s"}"#)
        #expect(register.status == 200)
        #expect(try live.put("/v1/agent/check/pass/live-bound").status == 200)
        #expect(try await live.eventually(10) { try live.checkStatus(live.node, "live-bound") == "passing" })
        let id = try #require(try live.createSession(#"{"Name":"bound","NodeChecks":["serfHealth","live-bound"],"LockDelay":"0s"}"#))
        #expect(try live.acquire("live/bound", id))
        #expect(try live.holder("live/bound") == id)
        #expect(try live.put("/v1/agent/check/fail/live-bound?note=down").status == 200)
        #expect(try await live.eventually(10) { try !live.sessionExists(id) })
        #expect(try live.holder("live/bound") == "")
        #expect(try live.get("/v1/kv/live/bound?raw").bodyText == "v")
        // Critical now: a new session bound to it is refused.
        let refused = try live.put("/v1/session/create", #"{"NodeChecks":["live-bound"]}"#)
        #expect(refused.status == 500)
        #expect(refused.bodyText == "Check 'live-bound' is in critical state")
    }

    /// (c) A session on an extra catalog node with no checks dies when that node is deregistered.
    private func nodeDeregistered(_ live: Live) async throws {
        #expect(try live.put("/v1/catalog/register", #"{"Node":"n2","Address":"10.9.9.9"}"#).status == 200)
        let id = try #require(try live.createSession(#"{"Name":"remote","Node":"n2","NodeChecks":[]}"#))
        let onNode = (try live.get("/v1/session/node/n2").json as? [[String: Any]]) ?? []
        #expect(onNode.compactMap { $0["ID"] as? String } == [id])
        #expect(try live.acquire("live/n2", id))
        #expect(try live.put("/v1/catalog/deregister", #"{"Node":"n2"}"#).status == 200)
        #expect(try await live.eventually(5) { try !live.sessionExists(id) })
        #expect(try live.holder("live/n2") == "")
        #expect((try live.get("/v1/session/node/n2").json as? [Any])?.isEmpty == true)
    }

    /// (d) A holds, B is refused; A destroyed with LockDelay 2s: B is refused during the delay and wins after it.
    private func lockDelayContention(_ live: Live) async throws {
        let a = try #require(try live.createSession(#"{"Name":"A","LockDelay":"2s"}"#))
        let b = try #require(try live.createSession(#"{"Name":"B","LockDelay":"2s"}"#))
        #expect(a != b)
        #expect(try live.acquire("live/contend", a, "A"))
        #expect(try !live.acquire("live/contend", b, "B"))
        #expect(try live.put("/v1/session/destroy/\(a)").bodyText.contains("true"))
        let destroyed = Date()
        #expect(try live.holder("live/contend") == "")
        #expect(try !live.acquire("live/contend", b, "B"))
        // A txn lock is refused by the same delay, with Consul's text.
        let txnLock = try live.put("/v1/txn", #"[{"KV":{"Verb":"lock","Key":"live/contend","Session":"\#(b)"}}]"#)
        #expect(txnLock.status == 409)
        #expect(txnLock.bodyText.contains(#"failed to lock key \"live/contend\" due to lock delay"#), "\(txnLock.bodyText)")
        var wonAfter: Double?
        while Date().timeIntervalSince(destroyed) < 30 {
            if try live.acquire("live/contend", b, "B") { wonAfter = Date().timeIntervalSince(destroyed); break }
            usleep(100_000)   // blocking, as in ttlExpiry: never parked behind the busy cooperative pool
        }
        let won = try #require(wonAfter, "B never acquired after the lock-delay")
        #expect(won >= 1.5, "acquired \(won) s after the destroy, inside the 2 s lock-delay")
        #expect(try live.holder("live/contend") == b)
        #expect(try live.get("/v1/kv/live/contend?raw").bodyText == "B")
        // An explicit release applies no lock-delay: A2 takes it at once.
        #expect(try live.put("/v1/kv/live/contend?release=\(b)", "free").bodyText.contains("true"))
        let a2 = try #require(try live.createSession(#"{"Name":"A2"}"#))
        #expect(try live.acquire("live/contend", a2))
    }

    /// (e) Over HTTP, a txn whose last op fails is 409 with its OpIndex and leaves KV and catalog untouched.
    private func failingTxn(_ live: Live) async throws {
        #expect(try live.put("/v1/kv/live/txn/existing", "old").status == 200)
        let ops = [
            #"{"KV":{"Verb":"set","Key":"live/txn/new","Value":"\#(Data("x".utf8).base64EncodedString())"}}"#,
            #"{"KV":{"Verb":"set","Key":"live/txn/existing","Value":"\#(Data("new".utf8).base64EncodedString())"}}"#,
            #"{"Node":{"Verb":"set","Node":{"Node":"txn-node","Address":"10.8.8.8"}}}"#,
            #"{"KV":{"Verb":"check-not-exists","Key":"live/txn/existing"}}"#,
        ]
        let body = "[" + ops.joined(separator: ",") + "]"
        let answer = try live.put("/v1/txn", body)
        #expect(answer.status == 409)
        let doc = try #require(answer.json as? [String: Any])
        #expect(doc["Results"] is NSNull)
        let errors = (doc["Errors"] as? [[String: Any]]) ?? []
        #expect(errors.count == 1)
        #expect(errors.first?["OpIndex"] as? Int == 3)
        #expect(errors.first?["What"] as? String == #"key "live/txn/existing" exists"#)
        #expect(try live.get("/v1/kv/live/txn/new").status == 404)
        #expect(try live.get("/v1/kv/live/txn/existing?raw").bodyText == "old")
        #expect(try live.get("/v1/catalog/node/txn-node").bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "null")
        // The same txn without the failing op applies all of it.
        let ok = try live.put("/v1/txn", "[" + ops.dropLast().joined(separator: ",") + "]")
        #expect(ok.status == 200)
        #expect(try live.get("/v1/kv/live/txn/new?raw").bodyText == "x")
    }
}
