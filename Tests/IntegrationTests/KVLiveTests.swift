import Foundation
import Testing

/// The KV API of a real `consul agent -dev` process, over real sockets.
@Suite struct KVLiveTests {
    /// A written value reads back as a one-element array with Consul's fields, and raw as bytes.
    @Test func putThenGetSingleAndRaw() throws {
        let agent = try AgentProcess()
        let put = try HTTP.put("/v1/kv/app/config?flags=42", port: agent.httpPort, body: "hello")
        #expect(put.status == 200)
        #expect(put.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "true")

        let get = try HTTP.get("/v1/kv/app/config", port: agent.httpPort)
        #expect(get.status == 200)
        #expect(get.headers["Content-Type"] == "application/json")
        let entries = try #require(get.json as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(entries[0]["Key"] as? String == "app/config")
        #expect(entries[0]["Value"] as? String == Data("hello".utf8).base64EncodedString())
        #expect(entries[0]["Flags"] as? Int == 42)
        #expect(entries[0]["Session"] == nil)
        let modifyIndex = try #require(entries[0]["ModifyIndex"] as? Int)
        #expect(get.index == UInt64(modifyIndex))
        #expect(get.headers["X-Consul-KnownLeader"] == "true")
        #expect(get.headers["X-Consul-LastContact"] == "0")

        let raw = try HTTP.get("/v1/kv/app/config?raw", port: agent.httpPort)
        #expect(raw.status == 200)
        #expect(raw.bodyText == "hello")
        #expect(raw.headers["Content-Type"] == "text/plain")
        #expect(raw.headers["X-Content-Type-Options"] == "nosniff")
    }

    /// A missing key is a 404 that still carries every index header, with an index ≥ 1.
    @Test func missingKeyIs404WithHeaders() throws {
        let agent = try AgentProcess()
        let get = try HTTP.get("/v1/kv/nope", port: agent.httpPort)
        #expect(get.status == 404)
        #expect(get.body.isEmpty)
        #expect((get.index ?? 0) >= 1)
        #expect(get.headers["X-Consul-KnownLeader"] != nil)
        #expect(get.headers["X-Consul-LastContact"] != nil)
        let keys = try HTTP.get("/v1/kv/?keys", port: agent.httpPort)
        #expect(keys.status == 200)
        #expect(keys.bodyText.filter { !$0.isWhitespace } == "[]")
        #expect(try HTTP.get("/v1/kv/nope?keys", port: agent.httpPort).status == 404)
        #expect(try HTTP.get("/v1/kv/nope?recurse", port: agent.httpPort).status == 404)
        let empty = try HTTP.get("/v1/kv/", port: agent.httpPort)
        #expect(empty.status == 400)
        #expect(empty.bodyText == "Missing key name")
    }

    /// Recurse lists by byte prefix in key order; keys with a separator fold sub-trees.
    @Test func recurseAndKeysWithSeparator() throws {
        let agent = try AgentProcess()
        for key in ["web/b", "web/a/x", "web/a/y", "webby", "other"] {
            #expect(try HTTP.put("/v1/kv/\(key)", port: agent.httpPort, body: key).status == 200)
        }
        let list = try HTTP.get("/v1/kv/web?recurse", port: agent.httpPort)
        let keys = (list.json as? [[String: Any]])?.compactMap { $0["Key"] as? String }
        #expect(keys == ["web/a/x", "web/a/y", "web/b", "webby"])
        let folded = try HTTP.get("/v1/kv/web/?keys&separator=/", port: agent.httpPort)
        #expect(folded.json as? [String] == ["web/a/", "web/b"])
        let all = try HTTP.get("/v1/kv/?keys", port: agent.httpPort)
        #expect(all.json as? [String] == ["other", "web/a/x", "web/a/y", "web/b", "webby"])
    }

    /// CAS writes and deletes answer true/false and only apply on a matching ModifyIndex.
    @Test func casPutAndDelete() throws {
        let agent = try AgentProcess()
        #expect(try HTTP.put("/v1/kv/c?cas=0", port: agent.httpPort, body: "1").bodyText.contains("true"))
        #expect(try HTTP.put("/v1/kv/c?cas=0", port: agent.httpPort, body: "2").bodyText.contains("false"))
        let index = try #require(try HTTP.get("/v1/kv/c", port: agent.httpPort).index)
        #expect(try HTTP.put("/v1/kv/c?cas=\(index + 100)", port: agent.httpPort, body: "3").bodyText.contains("false"))
        #expect(try HTTP.put("/v1/kv/c?cas=\(index)", port: agent.httpPort, body: "4").bodyText.contains("true"))
        #expect(try HTTP.get("/v1/kv/c?raw", port: agent.httpPort).bodyText == "4")
        let newIndex = try #require(try HTTP.get("/v1/kv/c", port: agent.httpPort).index)
        #expect(try HTTP.delete("/v1/kv/c?cas=\(index)", port: agent.httpPort).bodyText.contains("false"))
        #expect(try HTTP.delete("/v1/kv/c?cas=\(newIndex)", port: agent.httpPort).bodyText.contains("true"))
        #expect(try HTTP.get("/v1/kv/c", port: agent.httpPort).status == 404)
    }

    /// Deleting a tree removes exactly the prefix, and the list index does not go backwards.
    @Test func deleteRecurseKeepsIndexMonotonic() throws {
        let agent = try AgentProcess()
        for key in ["t/1", "t/2", "u/1"] { _ = try HTTP.put("/v1/kv/\(key)", port: agent.httpPort, body: "x") }
        let before = try #require(try HTTP.get("/v1/kv/t?recurse", port: agent.httpPort).index)
        #expect(try HTTP.delete("/v1/kv/t?recurse", port: agent.httpPort).bodyText.contains("true"))
        let after = try HTTP.get("/v1/kv/t?recurse", port: agent.httpPort)
        #expect(after.status == 404)
        #expect((after.index ?? 0) > before)
        #expect(try HTTP.get("/v1/kv/u/1", port: agent.httpPort).status == 200)
    }

    /// Bad input gets Consul's 4xx texts; nothing is written.
    @Test func malformedKVRequestsAre4xx() throws {
        let agent = try AgentProcess()
        let port = agent.httpPort
        let badIndex = try HTTP.get("/v1/kv/k?index=abc", port: port)
        #expect(badIndex.status == 400)
        #expect(badIndex.bodyText == "Invalid index")
        let badWait = try HTTP.get("/v1/kv/k?index=1&wait=60", port: port)
        #expect(badWait.status == 400)
        #expect(badWait.bodyText == "Invalid wait time")
        #expect(try HTTP.put("/v1/kv/k?cas=x", port: port, body: "v").status == 400)
        #expect(try HTTP.put("/v1/kv/k?flags=-1", port: port, body: "v").status == 400)
        #expect(try HTTP.delete("/v1/kv/k?cas=nope", port: port).status == 400)
        let conflict = try HTTP.put("/v1/kv/k?cas=0&acquire=abc", port: port, body: "v")
        #expect(conflict.status == 400)
        #expect(conflict.bodyText.hasPrefix("Conflicting flags: "))
        let both = try HTTP.get("/v1/kv/k?stale&consistent", port: port)
        #expect(both.status == 400)
        let big = try HTTP.request("PUT", "/v1/kv/big", port: port, body: [UInt8](repeating: 65, count: 524_289))
        #expect(big.status == 413)
        #expect(big.bodyText.hasPrefix("Request body(524289 bytes) too large, max size: 524288 bytes."))
        let exact = try HTTP.request("PUT", "/v1/kv/exact", port: port, body: [UInt8](repeating: 65, count: 524_288))
        #expect(exact.status == 200)
        #expect(try HTTP.get("/v1/kv/k", port: port).status == 404)
        #expect(try HTTP.get("/v1/kv/big", port: port).status == 404)
        let otherDC = try HTTP.get("/v1/kv/k?dc=elsewhere", port: port)
        #expect(otherDC.status == 500)
        #expect(otherDC.bodyText == "No path to datacenter")
    }

    /// Percent-encoded keys are decoded; `+` in a path stays a plus.
    @Test func percentEncodedKeys() throws {
        let agent = try AgentProcess()
        #expect(try HTTP.put("/v1/kv/a%2Fb%20c+d", port: agent.httpPort, body: "v").status == 200)
        let list = try HTTP.get("/v1/kv/a?keys", port: agent.httpPort)
        #expect(list.json as? [String] == ["a/b c+d"])
        #expect(try HTTP.get("/v1/kv/a/b%20c+d?raw", port: agent.httpPort).bodyText == "v")
        #expect(try HTTP.get("/v1/kv/a%zz", port: agent.httpPort).status == 400)
    }
}
