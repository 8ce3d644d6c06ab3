import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Testing
import Wire

private func b64(_ s: String) -> String { Base64.encode(Array(s.utf8)) }

/// The parsed `{"Results":…,"Errors":…}` of a txn answer.
private func document(_ answer: Answer) -> JSONValue? {
    guard let body = answer.response?.body else { return nil }
    return try? JSONParser.parse(body)
}

@Suite("Txn endpoint")
struct TxnEndpointTests {
    /// Proves an unparsable body, a non-array, an unknown op kind and bad base64 are 400 `Failed to parse body: …`, before any apply.
    @Test func malformedBodies() {
        let h = APIHarness()
        for body in [#"[{"KV":"#, #"{"KV":{}}"#, #"[{"Frob":{}}]"#,
                     #"[{"KV":{"Verb":"set","Key":"k","Value":"not base64!"}}]"#] {
            let answer = h.send("PUT", "/v1/txn", body: body)
            #expect(answer.status == 400, "\(body)")
            #expect(answer.text?.hasPrefix("Failed to parse body: ") == true, "\(body): \(answer.text ?? "")")
        }
        #expect(h.send("PUT", "/v1/txn", body: #"{"KV":{}}"#).text
                == "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps")
        #expect(h.backend.appliedCount == 0)
        #expect(h.store.kvGet("k") == nil)
    }

    /// Proves 128 operations are accepted and 129 are 413 with Consul's text, applying nothing.
    @Test func operationLimit() {
        let h = APIHarness()
        func body(_ n: Int) -> String {
            "[" + (0..<n).map { #"{"KV":{"Verb":"set","Key":"k\#($0)","Value":"\#(b64("v"))"}}"# }.joined(separator: ",") + "]"
        }
        let over = h.send("PUT", "/v1/txn", body: body(129))
        #expect(over.status == 413)
        #expect(over.text == "Transaction contains too many operations (129 > 128)")
        #expect(h.backend.appliedCount == 0)
        #expect(h.store.kvCount == 0)
        let max = h.send("PUT", "/v1/txn", body: body(128))
        #expect(max.status == 200)
        #expect(h.store.kvCount == 128)
        #expect(h.backend.appliedCount == 1)
    }

    /// Proves a body over `limits.txn_max_req_len` is 413 before parsing (not the KV value limit).
    @Test func bodyTooLarge() {
        var config = APIConfig()
        config.txnMaxRequestBytes = 64
        let h = APIHarness(config: config)
        let answer = h.send("PUT", "/v1/txn", body: "[" + String(repeating: " ", count: 100) + "]")
        #expect(answer.status == 413)
        #expect(answer.text == "Request body(102 bytes) too large, max size: 64 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#txn_max_req_len.")
        #expect(h.backend.appliedCount == 0)
        var kvOnly = APIConfig()
        kvOnly.kvMaxValueSize = 64
        #expect(APIHarness(config: kvOnly).send("PUT", "/v1/txn", body: "[" + String(repeating: " ", count: 100) + "]").status == 200)
    }

    /// Proves a successful write txn is 200 with Results in op order (Value null for writes) and `Errors: null`.
    @Test func successfulWrite() throws {
        let h = APIHarness()
        let body = """
        [{"KV":{"Verb":"set","Key":"a","Value":"\(b64("A"))","Flags":7}},
         {"KV":{"Verb":"delete","Key":"zzz"}},
         {"KV":{"Verb":"get","Key":"a"}},
         {"KV":{"Verb":"set","Key":"empty","Value":null}},
         {"Node":{"Verb":"set","Node":{"Node":"n9","Address":"10.0.0.9"}}}]
        """
        let answer = h.send("PUT", "/v1/txn", body: body)
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "application/json")
        let doc = try #require(document(answer))
        #expect(doc["Errors"]?.isNull == true)
        let results = try #require(doc["Results"]?.arrayValue)
        #expect(results.count == 4)
        #expect(results[0]["KV"]?["Key"]?.stringValue == "a")
        #expect(results[0]["KV"]?["Value"]?.isNull == true)
        #expect(results[0]["KV"]?["Flags"]?.uint64Value == 7)
        #expect(results[1]["KV"]?["Value"]?.stringValue == b64("A"))
        #expect(results[2]["KV"]?["Key"]?.stringValue == "empty")
        // A node without Datacenter gets the agent's.
        #expect(results[3]["Node"]?["Datacenter"]?.stringValue == "dc1")
        #expect(h.store.catalogNode("n9").node?.datacenter == "dc1")
        #expect(h.store.kvGet("a")?.value == Array("A".utf8))
        #expect(h.store.kvGet("empty")?.value == [])
        #expect(h.backend.appliedCount == 1)
    }

    /// Proves a failing op makes the txn 409 with `Results: null`, every failure with its OpIndex, and nothing applied.
    @Test func conflictAppliesNothing() throws {
        let h = APIHarness()
        h.put("existing", "old")
        let index = h.store.kvGet("existing")!.modifyIndex
        let kvIndex = h.store.kvTableIndex
        let body = """
        [{"KV":{"Verb":"set","Key":"existing","Value":"\(b64("new"))"}},
         {"KV":{"Verb":"cas","Key":"existing","Value":"\(b64("x"))","Index":\(index + 50)}},
         {"Node":{"Verb":"set","Node":{"Node":"n9","Address":"10.0.0.9"}}},
         {"KV":{"Verb":"get","Key":"missing"}}]
        """
        let answer = h.send("PUT", "/v1/txn", body: body)
        #expect(answer.status == 409)
        #expect(answer.text == #"{"Results":null,"Errors":[{"OpIndex":1,"What":"failed to set key \"existing\", index is stale"},{"OpIndex":3,"What":"key \"missing\" doesn't exist"}]}"#)
        #expect(h.store.kvGet("existing")?.value == Array("old".utf8))
        #expect(h.store.kvTableIndex == kvIndex)
        #expect(h.store.catalogNode("n9").node == nil)
        let get = h.send("GET", "/v1/kv/existing")
        #expect(entries(get).first?.modifyIndex == index)
    }

    /// Proves a read-only txn is served without `backend.apply` and without X-Consul-Index, but with the leader headers.
    @Test func readOnlySkipsRaft() throws {
        let h = APIHarness()
        h.put("a", "A")
        let applied = h.backend.appliedCount
        let storeIndex = h.store.index
        let body = """
        [{"KV":{"Verb":"get","Key":"a"}},{"KV":{"Verb":"check-not-exists","Key":"b"}},{"KV":{"Verb":"get-tree","Key":""}}]
        """
        let answer = h.send("PUT", "/v1/txn", body: body)
        #expect(answer.status == 200)
        #expect(h.backend.appliedCount == applied)
        #expect(h.store.index == storeIndex)
        #expect(answer.header("X-Consul-Index") == nil)
        #expect(answer.header("X-Consul-KnownLeader") == "true")
        #expect(answer.header("X-Consul-LastContact") == "0")
        let results = try #require(document(answer)?["Results"]?.arrayValue)
        #expect(results.map { $0["KV"]?["Value"]?.stringValue } == [b64("A"), b64("A")])

        // A failing read-only txn is a 409 from the read path, still without a write.
        let failed = h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"get","Key":"nope"}}]"#)
        #expect(failed.status == 409)
        #expect(failed.text == #"{"Results":null,"Errors":[{"OpIndex":0,"What":"key \"nope\" doesn't exist"}]}"#)
        #expect(failed.header("X-Consul-Index") == nil)
        #expect(h.backend.appliedCount == applied)

        // Catalog gets are reads too; one write verb sends the whole txn through apply.
        h.send("PUT", "/v1/txn", body: #"[{"Node":{"Verb":"get","Node":{"Node":"nope"}}}]"#)
        #expect(h.backend.appliedCount == applied)
        h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"get","Key":"a"}},{"KV":{"Verb":"delete","Key":"zzz"}}]"#)
        #expect(h.backend.appliedCount == applied + 1)
    }

    /// Proves a txn lock and unlock through HTTP, with the session from the session API.
    @Test func lockThroughTxn() throws {
        let h = APIHarness()
        h.registerNode("node1")
        let s = try #require(h.createSession(random: 9))
        let lock = h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"lock","Key":"l","Value":"\#(b64("v"))","Session":"\#(s)"}}]"#)
        #expect(lock.status == 200)
        #expect(h.store.kvGet("l")?.session == s)
        let check = h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"check-session","Key":"l","Session":"\#(s)"}}]"#)
        #expect(check.status == 200)
        let unlock = h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"unlock","Key":"l","Value":"\#(b64("bye"))","Session":"\#(s)"}}]"#)
        #expect(unlock.status == 200)
        #expect(h.store.kvGet("l")?.session == "")
        #expect(h.store.kvGet("l")?.value == Array("bye".utf8))
    }

    /// Proves a blocked KV reader is not woken into seeing a rolled-back write.
    @Test func rolledBackWriteNotVisibleToWaiter() {
        let h = APIHarness()
        let index = h.put("a", "old")
        let waiter = h.send("GET", "/v1/kv/a?index=\(index)&wait=1m")
        let failed = h.send("PUT", "/v1/txn", body: #"[{"KV":{"Verb":"set","Key":"a","Value":"\#(b64("new"))"}},{"KV":{"Verb":"get","Key":"nope"}}]"#)
        #expect(failed.status == 409)
        // Whether or not the waiter was woken, it must not answer with the rolled-back value.
        if waiter.answered {
            #expect(entries(waiter).first?.value == Array("old".utf8))
            #expect(waiter.index == index)
        }
        #expect(h.store.kvGet("a")?.value == Array("old".utf8))
    }
}
