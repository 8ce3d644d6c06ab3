import ConsulAPI
import HTTP1
import HTTPAPI
import Testing

private let maxValueDocs = "https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size"

@Suite("KV PUT and DELETE")
struct KVWriteTests {
    /// Proves a plain PUT answers the literal JSON `true` and stores the body bytes.
    @Test func putStoresBody() {
        let h = APIHarness()
        let answer = h.send("PUT", "/v1/kv/a", bytes: [0, 1, 255])
        #expect(answer.status == 200)
        #expect(answer.text == "true")
        #expect(answer.header("Content-Type") == "application/json")
        #expect(h.store.kvGet("a")?.value == [0, 1, 255])
        #expect(h.send("PUT", "/v1/kv/a?pretty", body: "x").text == "true\n")
    }

    /// Proves `?flags` is stored, and a later PUT without it resets flags to 0.
    @Test func flags() {
        let h = APIHarness()
        #expect(h.send("PUT", "/v1/kv/a?flags=18446744073709551615", body: "x").text == "true")
        #expect(entries(h.send("GET", "/v1/kv/a")).first?.flags == UInt64.max)
        h.put("a", "x")
        #expect(entries(h.send("GET", "/v1/kv/a")).first?.flags == 0)
    }

    /// Proves rewriting identical content leaves ModifyIndex (and so blocking readers) alone.
    @Test func identicalRewriteKeepsModifyIndex() {
        let h = APIHarness()
        h.put("a", "same")
        h.put("other", "x")
        #expect(h.send("PUT", "/v1/kv/a", body: "same").text == "true")
        let entry = entries(h.send("GET", "/v1/kv/a")).first
        #expect(entry?.modifyIndex == 1)
        #expect(entry?.createIndex == 1)
    }

    /// Proves `?cas=0` writes only an absent key and `?cas=N` only when ModifyIndex is N, answering true/false.
    @Test func casPut() {
        let h = APIHarness()
        #expect(h.send("PUT", "/v1/kv/a?cas=0", body: "first").text == "true")
        #expect(h.send("PUT", "/v1/kv/a?cas=0", body: "second").text == "false")
        #expect(h.send("PUT", "/v1/kv/a?cas=7", body: "third").text == "false")
        #expect(h.store.kvGet("a")?.value == Array("first".utf8))
        #expect(h.send("PUT", "/v1/kv/a?cas=1&flags=3", body: "fourth").text == "true")
        let entry = h.store.kvGet("a")
        #expect(entry?.value == Array("fourth".utf8))
        #expect(entry?.flags == 3)
        #expect(entry?.createIndex == 1)
        #expect(entry?.modifyIndex == 4)
        #expect(h.send("PUT", "/v1/kv/absent?cas=4", body: "x").text == "false")
    }

    /// Proves a value over 512 KiB is refused with Consul's 413 text and not stored; exactly 512 KiB is fine.
    @Test func valueSizeLimit() {
        let h = APIHarness()
        let over = h.send("PUT", "/v1/kv/big", bytes: [UInt8](repeating: 65, count: 524_289))
        #expect(over.status == 413)
        #expect(over.text == "Request body(524289 bytes) too large, max size: 524288 bytes. See \(maxValueDocs).")
        #expect(h.store.kvGet("big") == nil)
        #expect(h.backend.appliedCount == 0)
        let claimed = h.send("PUT", "/v1/kv/big", body: "tiny", headers: [("Content-Length", "600000")])
        #expect(claimed.status == 413)
        #expect(claimed.text == "Request body(600000 bytes) too large, max size: 524288 bytes. See \(maxValueDocs).")
        let exact = h.send("PUT", "/v1/kv/big", bytes: [UInt8](repeating: 65, count: 524_288))
        #expect(exact.text == "true")
        #expect(h.store.kvGet("big")?.value.count == 524_288)
    }

    /// Proves the limit follows `kv_max_value_size` from configuration.
    @Test func configuredSizeLimit() {
        var config = APIConfig()
        config.kvMaxValueSize = 4
        let h = APIHarness(config: config)
        #expect(h.send("PUT", "/v1/kv/a", body: "1234").text == "true")
        let over = h.send("PUT", "/v1/kv/a", body: "12345")
        #expect(over.status == 413)
        #expect(over.text == "Request body(5 bytes) too large, max size: 4 bytes. See \(maxValueDocs).")
    }

    /// Proves PUT on the empty key is `400 Missing key name`.
    @Test func putWithoutKey() {
        let h = APIHarness()
        let answer = h.send("PUT", "/v1/kv/", body: "x")
        #expect(answer.status == 400)
        #expect(answer.text == "Missing key name")
    }

    /// Proves non-numeric `cas` and `flags` are 400 with Go's strconv wording, and nothing is written.
    @Test(arguments: [
        ("/v1/kv/a?cas=abc", "Invalid cas value: strconv.ParseUint: parsing \"abc\": invalid syntax"),
        ("/v1/kv/a?cas=-1", "Invalid cas value: strconv.ParseUint: parsing \"-1\": invalid syntax"),
        ("/v1/kv/a?flags=x", "Invalid flags value: strconv.ParseUint: parsing \"x\": invalid syntax"),
        ("/v1/kv/a?flags=", "Invalid flags value: strconv.ParseUint: parsing \"\": invalid syntax"),
    ])
    func badNumbers(_ target: String, _ message: String) {
        let h = APIHarness()
        let answer = h.send("PUT", target, body: "x")
        #expect(answer.status == 400)
        #expect(answer.text == message)
        #expect(h.store.kvGet("a") == nil)
    }

    /// Proves more than one of cas/acquire/release, or recurse with cas on DELETE, is 400 naming the sorted query.
    @Test func conflictingFlags() {
        let h = APIHarness()
        let put = h.send("PUT", "/v1/kv/a?release=s%201&cas=1", body: "x")
        #expect(put.status == 400)
        #expect(put.text == "Conflicting flags: cas=1&release=s+1\n")
        let delete = h.send("DELETE", "/v1/kv/a?recurse&cas=1")
        #expect(delete.status == 400)
        #expect(delete.text == "Conflicting flags: cas=1&recurse=\n")
        #expect(h.backend.appliedCount == 0)
    }

    /// Proves acquire/release without a valid session is a 400 naming the problem, nothing written.
    @Test func acquireWithoutSessions() {
        let h = APIHarness()
        let unknown = h.send("PUT", "/v1/kv/a?acquire=abc", body: "x")
        #expect(unknown.status == 400)
        #expect(unknown.text == "invalid session \"abc\"")
        let missing = h.send("PUT", "/v1/kv/a?release", body: "x")
        #expect(missing.status == 400)
        #expect(missing.text == "missing session")
        #expect(h.store.kvGet("a") == nil)
    }

    /// Proves DELETE removes one key, answers true for an absent key, and leaves keys sharing the prefix alone.
    @Test func deleteKey() {
        let h = APIHarness()
        h.put("a", "1")
        h.put("ab", "2")
        let answer = h.send("DELETE", "/v1/kv/a")
        #expect(answer.status == 200)
        #expect(answer.text == "true")
        #expect(h.store.kvGet("a") == nil)
        #expect(h.store.kvGet("ab") != nil)
        #expect(h.send("DELETE", "/v1/kv/never").text == "true")
    }

    /// Proves `?recurse` deletes by byte prefix, the empty key deletes everything, and no key without recurse is 400.
    @Test func deleteRecurse() {
        let h = APIHarness()
        for key in ["foo", "foo/a", "foo/b/c", "foobar", "zed"] { h.put(key, "v") }
        #expect(h.send("DELETE", "/v1/kv/foo/?recurse").text == "true")
        #expect(keyList(h.send("GET", "/v1/kv/?keys")) == ["foo", "foobar", "zed"])
        let noKey = h.send("DELETE", "/v1/kv/")
        #expect(noKey.status == 400)
        #expect(noKey.text == "Missing key name")
        #expect(h.send("DELETE", "/v1/kv/?recurse").text == "true")
        #expect(h.store.kvCount == 0)
    }

    /// Proves DELETE `?cas`: absent key true, wrong index false, 0 on a present key false, matching index deletes.
    @Test func deleteCAS() {
        let h = APIHarness()
        #expect(h.send("DELETE", "/v1/kv/absent?cas=9").text == "true")
        h.put("a", "v")
        let index = h.store.kvGet("a")!.modifyIndex
        #expect(h.send("DELETE", "/v1/kv/a?cas=\(index + 1)").text == "false")
        #expect(h.send("DELETE", "/v1/kv/a?cas=0").text == "false")
        #expect(h.store.kvGet("a") != nil)
        #expect(h.send("DELETE", "/v1/kv/a?cas=\(index)").text == "true")
        #expect(h.store.kvGet("a") == nil)
        let bad = h.send("DELETE", "/v1/kv/a?cas=x")
        #expect(bad.status == 400)
        #expect(bad.text == "Invalid cas value: strconv.ParseUint: parsing \"x\": invalid syntax")
    }
}
