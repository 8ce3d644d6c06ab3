import ConsulAPI
import Testing

private func text(_ writer: inout JSONWriter) -> String { String(decoding: writer.finish(), as: UTF8.self) }

/// Writes one fixed document used by the compact and pretty golden tests.
private func writeSample(_ json: inout JSONWriter) {
    json.beginObject()
    json.field("Name", "web")
    json.field("Port", 8080)
    json.field("Index", UInt64.max)
    json.field("Passing", true)
    json.key("Tags"); json.beginArray(); json.string("a"); json.string("b"); json.endArray()
    json.key("Empty"); json.beginArray(); json.endArray()
    json.key("Meta"); json.beginObject(); json.endObject()
    json.key("Nested"); json.beginObject(); json.key("Value"); json.null(); json.key("Ratio"); json.rawNumber("1.5"); json.endObject()
    json.endObject()
}

@Suite("JSONWriter")
struct JSONWriterTests {
    /// Proves compact output has no whitespace and no trailing newline, as Consul's default responses.
    @Test func compactGolden() {
        var json = JSONWriter()
        writeSample(&json)
        #expect(text(&json) == #"{"Name":"web","Port":8080,"Index":18446744073709551615,"Passing":true,"Tags":["a","b"],"Empty":[],"Meta":{},"Nested":{"Value":null,"Ratio":1.5}}"#)
    }

    /// Proves `?pretty` output: 4-space indents, `": "` after keys, empty containers kept tight, trailing newline.
    @Test func prettyGolden() {
        var json = JSONWriter(pretty: true)
        writeSample(&json)
        let expected = """
        {
            "Name": "web",
            "Port": 8080,
            "Index": 18446744073709551615,
            "Passing": true,
            "Tags": [
                "a",
                "b"
            ],
            "Empty": [],
            "Meta": {},
            "Nested": {
                "Value": null,
                "Ratio": 1.5
            }
        }

        """
        #expect(text(&json) == expected)
    }

    /// Proves a custom indent (the CLI's tab for `kv export`) is used per level.
    @Test func customIndent() {
        var json = JSONWriter(indent: "\t")
        json.beginArray(); json.beginObject(); json.field("Key", "k"); json.endObject(); json.endArray()
        #expect(text(&json) == "[\n\t{\n\t\t\"Key\": \"k\"\n\t}\n]\n")
    }

    /// Proves Go-style escaping: quotes, backslash, \n \r \t, other control characters and `<>&` as \u00XX.
    @Test func goStyleEscaping() {
        var json = JSONWriter()
        json.string("\"q\" \\ \n\r\t <b>&amp; \u{0}\u{1}\u{1f}\u{7f} é😀")
        #expect(text(&json) == #""\"q\" \\ \n\r\t \u003cb\u003e\u0026amp; \u0000\u0001\u001f"# + "\u{7f} é😀\"")
    }

    /// Proves keys are escaped like values.
    @Test func keysAreEscaped() {
        var json = JSONWriter()
        json.beginObject(); json.field("a<b\"", 1); json.endObject()
        #expect(text(&json) == #"{"a\u003cb\"":1}"#)
    }

    /// Proves integers at their extremes, booleans, null and top-level scalars.
    @Test func scalars() {
        var json = JSONWriter()
        json.beginArray()
        json.int(0); json.int(-1); json.int(Int.min); json.int(Int.max); json.uint(0); json.bool(false); json.null()
        json.endArray()
        #expect(text(&json) == "[0,-1,-9223372036854775808,9223372036854775807,0,false,null]")
        var single = JSONWriter()
        single.bool(true)
        #expect(text(&single) == "true")
        var prettySingle = JSONWriter(pretty: true)
        prettySingle.string("x")
        #expect(text(&prettySingle) == "\"x\"\n")
    }

    /// Proves `base64` writes padded standard base64 inside quotes.
    @Test func base64Field() {
        var json = JSONWriter()
        json.beginObject(); json.key("Value"); json.base64(Array("hello?>".utf8)); json.endObject()
        #expect(text(&json) == #"{"Value":"aGVsbG8/Pg=="}"#)
    }
}

@Suite("KVPair JSON")
struct KVPairJSONTests {
    /// Proves Consul's field order and `Value: null` with `Session` omitted for an empty, unlocked entry.
    @Test func emptyValueIsNullAndSessionOmitted() {
        var json = JSONWriter()
        KVPair(key: "foo/", createIndex: 5, modifyIndex: 7).write(to: &json)
        #expect(text(&json) == #"{"LockIndex":0,"Key":"foo/","Flags":0,"Value":null,"CreateIndex":5,"ModifyIndex":7}"#)
    }

    /// Proves a locked entry with a value: base64 value, and `Session` between Value and CreateIndex.
    @Test func lockedEntry() {
        var json = JSONWriter()
        KVPair(key: "k", value: Array("hello".utf8), flags: 42, lockIndex: 2, session: "s-1", createIndex: 3, modifyIndex: 9)
            .write(to: &json)
        #expect(text(&json) == #"{"LockIndex":2,"Key":"k","Flags":42,"Value":"aGVsbG8=","Session":"s-1","CreateIndex":3,"ModifyIndex":9}"#)
    }

    /// Proves pretty output of an entry matches Consul's `?pretty` layout.
    @Test func prettyEntry() {
        var json = JSONWriter(pretty: true)
        json.beginArray()
        KVPair(key: "a", value: [1], createIndex: 1, modifyIndex: 1).write(to: &json)
        json.endArray()
        let expected = """
        [
            {
                "LockIndex": 0,
                "Key": "a",
                "Flags": 0,
                "Value": "AQ==",
                "CreateIndex": 1,
                "ModifyIndex": 1
            }
        ]

        """
        #expect(text(&json) == expected)
    }

    /// Proves an entry read back from its own JSON is identical, and bad input is refused.
    @Test func roundTripAndInvalid() throws {
        let original = KVPair(key: "x/y", value: Array("v".utf8), flags: UInt64.max, lockIndex: 1, session: "s",
                              createIndex: 10, modifyIndex: 11)
        var json = JSONWriter()
        original.write(to: &json)
        let parsed = try JSONParser.parse(json.finish())
        #expect(KVPair(json: parsed) == original)
        let nullValue = try JSONParser.parse(#"{"Key":"k","Value":null}"#)
        #expect(KVPair(json: nullValue) == KVPair(key: "k"))
        #expect(KVPair(json: try JSONParser.parse(#"{"Value":"AA=="}"#)) == nil)
        #expect(KVPair(json: try JSONParser.parse(#"{"Key":"k","Value":"!!"}"#)) == nil)
    }
}
