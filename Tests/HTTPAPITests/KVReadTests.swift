import ConsulAPI
import HTTP1
import HTTPAPI
import Testing

@Suite("KV GET")
struct KVReadTests {
    /// Proves a single key comes back as a one-element JSON array with Consul's fields and every query header.
    @Test func singleKeyIsOneElementArray() {
        let h = APIHarness()
        h.put("a", "hello")
        let answer = h.send("GET", "/v1/kv/a")
        #expect(answer.status == 200)
        #expect(answer.text == #"[{"LockIndex":0,"Key":"a","Flags":0,"Value":"aGVsbG8=","CreateIndex":1,"ModifyIndex":1}]"#)
        #expect(answer.header("Content-Type") == "application/json")
        #expect(answer.header("X-Consul-Index") == "1")
        #expect(answer.header("X-Consul-KnownLeader") == "true")
        #expect(answer.header("X-Consul-LastContact") == "0")
        #expect(answer.header("X-Consul-Effective-Consistency") == "leader")
        #expect(answer.header("X-Consul-Default-ACL-Policy") == "allow")
    }

    /// Proves an empty value reads back as `Value: null`, and a percent-encoded key reaches the decoded key.
    @Test func emptyValueAndEncodedKey() {
        let h = APIHarness()
        h.put("dir%2Fsub/", "")
        let answer = h.send("GET", "/v1/kv/dir/sub/")
        #expect(answer.text == #"[{"LockIndex":0,"Key":"dir/sub/","Flags":0,"Value":null,"CreateIndex":1,"ModifyIndex":1}]"#)
        h.put("a+b", "plus")
        #expect(entries(h.send("GET", "/v1/kv/a+b")).map(\.key) == ["a+b"])
    }

    /// Proves `?raw` returns the bare value with Consul's defensive headers, and the index headers too.
    @Test func rawValue() {
        let h = APIHarness()
        h.put("a", "<html>")
        let answer = h.send("GET", "/v1/kv/a?raw")
        #expect(answer.status == 200)
        #expect(answer.text == "<html>")
        #expect(answer.header("Content-Type") == "text/plain")
        #expect(answer.header("X-Content-Type-Options") == "nosniff")
        #expect(answer.header("Content-Security-Policy") == "sandbox")
        #expect(answer.header("X-Consul-Index") == "1")
        h.put("empty", "")
        let empty = h.send("GET", "/v1/kv/empty?raw=1")
        #expect(empty.status == 200)
        #expect(empty.response?.body == [])
    }

    /// Proves `?raw` with `?recurse` answers the normal JSON list.
    @Test func rawWithRecurseIsJSON() {
        let h = APIHarness()
        h.put("a/1", "x")
        let answer = h.send("GET", "/v1/kv/a/?recurse&raw")
        #expect(answer.header("Content-Type") == "application/json")
        #expect(entries(answer).map(\.key) == ["a/1"])
    }

    /// Proves `?recurse` lists every entry with the byte prefix in byte order (`foo` matches `foobar`).
    @Test func recurseListsByBytePrefix() {
        let h = APIHarness()
        for key in ["foobar", "foo/b", "foo", "foo/a", "fop", "Foo"] { h.put(key, key) }
        let answer = h.send("GET", "/v1/kv/foo?recurse")
        #expect(answer.status == 200)
        #expect(entries(answer).map(\.key) == ["foo", "foo/a", "foo/b", "foobar"])
        #expect(answer.index == 4)
        #expect(entries(h.send("GET", "/v1/kv/foo/?recurse=false")).map(\.key) == ["foo/a", "foo/b"])
        #expect(entries(h.send("GET", "/v1/kv/?recurse")).count == 6)
    }

    /// Proves `?keys` lists names only, `separator` (or the misspelt `seperator`) cuts and dedupes them.
    @Test func keysWithSeparator() {
        let h = APIHarness()
        for key in ["a", "b/", "b/c", "b/d/e", "c"] { h.put(key, "") }
        #expect(keyList(h.send("GET", "/v1/kv/?keys")) == ["a", "b/", "b/c", "b/d/e", "c"])
        #expect(keyList(h.send("GET", "/v1/kv/?keys&separator=/")) == ["a", "b/", "c"])
        #expect(keyList(h.send("GET", "/v1/kv/b/?keys&separator=/")) == ["b/", "b/c", "b/d/"])
        #expect(keyList(h.send("GET", "/v1/kv/?keys&seperator=/")) == ["a", "b/", "c"])
        #expect(keyList(h.send("GET", "/v1/kv/?keys&seperator=x&separator=/")) == ["a", "b/", "c"])
        let answer = h.send("GET", "/v1/kv/b?keys")
        #expect(answer.text == #"["b/","b/c","b/d/e"]"#)
        #expect(answer.index == 4)
    }

    /// Proves a missing key, an empty recurse and an empty non-root `keys` are 404 with empty body and all index headers.
    @Test func notFoundCarriesIndexHeaders() {
        let h = APIHarness()
        h.put("x", "1")
        h.put("y", "2")
        for target in ["/v1/kv/missing", "/v1/kv/nothing/?recurse", "/v1/kv/nothing/?keys"] {
            let answer = h.send("GET", target)
            #expect(answer.status == 404, "\(target)")
            #expect(answer.response?.body == [], "\(target)")
            #expect(answer.header("X-Consul-Index") == "2", "\(target)")
            #expect(answer.header("X-Consul-KnownLeader") == "true", "\(target)")
            #expect(answer.header("X-Consul-LastContact") == "0", "\(target)")
        }
    }

    /// Proves X-Consul-Index is never 0, even on an empty store, and `keys` on the empty prefix is `200 []`.
    @Test func indexNeverZero() {
        let h = APIHarness()
        let missing = h.send("GET", "/v1/kv/missing")
        #expect(missing.status == 404)
        #expect(missing.header("X-Consul-Index") == "1")
        let keys = h.send("GET", "/v1/kv/?keys")
        #expect(keys.status == 200)
        #expect(keys.text == "[]")
        #expect(keys.header("X-Consul-Index") == "1")
        let recurse = h.send("GET", "/v1/kv/?recurse")
        #expect(recurse.status == 404)
        #expect(recurse.header("X-Consul-Index") == "1")
    }

    /// Proves `GET /v1/kv/` without recurse or keys is `400 Missing key name`.
    @Test func rootWithoutRecurseIsMissingKey() {
        let h = APIHarness()
        for target in ["/v1/kv/", "/v1/kv/?raw"] {
            let answer = h.send("GET", target)
            #expect(answer.status == 400)
            #expect(answer.text == "Missing key name")
        }
    }

    /// Proves a key's index is its ModifyIndex, an absent key's is the table index, and lists count deletes.
    @Test func indexRules() {
        let h = APIHarness()
        h.put("a/1", "x")   // 1
        h.put("a/2", "y")   // 2
        h.put("b", "z")     // 3
        #expect(h.send("GET", "/v1/kv/a/1").index == 1)
        #expect(h.send("GET", "/v1/kv/nope").index == 3)
        #expect(h.send("GET", "/v1/kv/a/?recurse").index == 2)
        h.send("DELETE", "/v1/kv/a/2")   // 4
        #expect(h.send("GET", "/v1/kv/a/?recurse").index == 4)
        #expect(h.send("GET", "/v1/kv/a/?keys").index == 4)
        let deleted = h.send("GET", "/v1/kv/a/2")
        #expect(deleted.status == 404)
        #expect(deleted.index == 4)
    }

    /// Proves `?pretty` indents the list with 4 spaces and ends with a newline.
    @Test func prettyOutput() {
        let h = APIHarness()
        h.put("k", "v")
        let expected = """
        [
            {
                "LockIndex": 0,
                "Key": "k",
                "Flags": 0,
                "Value": "dg==",
                "CreateIndex": 1,
                "ModifyIndex": 1
            }
        ]

        """
        #expect(h.send("GET", "/v1/kv/k?pretty").text == expected)
    }

    /// Proves the consistency mode asked for is reported back.
    @Test(arguments: [("", "leader"), ("?stale", "stale"), ("?consistent", "consistent"), ("?max_stale=5s", "stale"),
                      ("?max_stale=0s", "leader")])
    func effectiveConsistency(_ query: String, _ level: String) {
        let h = APIHarness()
        h.put("k", "v")
        #expect(h.send("GET", "/v1/kv/k\(query)").header("X-Consul-Effective-Consistency") == level)
    }
}
