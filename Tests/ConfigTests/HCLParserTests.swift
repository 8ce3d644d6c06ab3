import Config
import ConsulAPI
import Testing

private func hcl(_ text: String) throws(ConfigError) -> JSONValue {
    try HCLParser.parse(Array(text.utf8), path: "/etc/consul.d/a.hcl")
}

private func json(_ text: String) -> JSONValue {
    try! JSONParser.parse(text)
}

@Suite("HCLParser constructs")
struct HCLParserTests {
    /// Proves scalar attributes: strings, integers (negative, hex, octal), floats and bools, in order.
    @Test func scalars() throws {
        let doc = try hcl("""
        datacenter = "east"
        server = true
        ui = false
        bootstrap_expect = 3
        dns = -1
        hex = 0x1F
        octal = 010
        ratio = 1.5
        big = 2e3
        "quoted key" = "v"
        """)
        #expect(doc == .object([
            ("datacenter", .string("east")), ("server", .bool(true)), ("ui", .bool(false)),
            ("bootstrap_expect", .number("3")), ("dns", .number("-1")), ("hex", .number("31")),
            ("octal", .number("8")), ("ratio", .number("1.5")), ("big", .number("2e3")),
            ("quoted key", .string("v")),
        ]))
    }

    /// Proves Go-style string escapes, including \u, \U, \x and octal, and that `${…}` is kept verbatim.
    @Test func stringEscapes() throws {
        let doc = try hcl(#"""
        a = "tab\there \"q\" back\\slash\nnl"
        b = "\u00e9\U0001F600\x41\101"
        c = "${lookup("k", "d")}"
        d = "héllo"
        """#)
        #expect(doc["a"] == .string("tab\there \"q\" back\\slash\nnl"))
        #expect(doc["b"] == .string("é😀AA"))
        #expect(doc["c"] == .string(#"${lookup("k", "d")}"#))
        #expect(doc["d"] == .string("héllo"))
    }

    /// Proves lists: trailing commas, nesting, objects as elements, newlines inside, empty lists.
    @Test func lists() throws {
        let doc = try hcl("""
        retry_join = ["10.0.0.1", "10.0.0.2",]
        nested = [[1, 2], [], [true]]
        empty = []
        multi = [
          "a",   # comment
          "b"
        ]
        watches = [{ type = "key", key = "k", args = ["/h.sh"] }, { type = "nodes" }]
        """)
        #expect(doc == json("""
        {"retry_join":["10.0.0.1","10.0.0.2"],"nested":[[1,2],[],[true]],"empty":[],"multi":["a","b"],
         "watches":[{"type":"key","key":"k","args":["/h.sh"]},{"type":"nodes"}]}
        """))
    }

    /// Proves blocks and `key = { … }` objects with identifier and quoted keys, commas optional.
    @Test func blocksAndObjects() throws {
        let doc = try hcl("""
        ports {
          http = 8500
          "dns" = 8600
        }
        limits = { kv_max_value_size = 1024, txn_max_req_len = 2048 }
        ui_config { enabled = true content_path = "/ui/" }
        empty {}
        """)
        #expect(doc == json("""
        {"ports":{"http":8500,"dns":8600},"limits":{"kv_max_value_size":1024,"txn_max_req_len":2048},
         "ui_config":{"enabled":true,"content_path":"/ui/"},"empty":{}}
        """))
    }

    /// Proves labelled blocks nest one object per label (`a "b" "c" { }` → a.b.c).
    @Test func labelledBlocks() throws {
        let doc = try hcl("""
        service "web" { port = 80 }
        config "a" "b" { x = 1 }
        """)
        #expect(doc == json(#"{"service":{"web":{"port":80}},"config":{"a":{"b":{"x":1}}}}"#))
    }

    /// Proves a repeated block becomes a list in order; a single block stays an object; a
    /// repeated scalar keeps the last value at its first place.
    @Test func repeatedBlocksBecomeLists() throws {
        let doc = try hcl("""
        service { name = "web" }
        log_level = "info"
        service { name = "db" }
        service = { name = "cache" }
        ports { http = 1 }
        log_level = "debug"
        """)
        #expect(doc == json("""
        {"service":[{"name":"web"},{"name":"db"},{"name":"cache"}],"log_level":"debug","ports":{"http":1}}
        """))
    }

    /// Proves `#`, `//` and `/* */` comments are skipped anywhere whitespace may be.
    @Test func comments() throws {
        let doc = try hcl("""
        # hash comment
        // slash comment
        /* block
           comment */ server = /* inline */ true // trailing
        ports { /* a */ http = 1 # b
        }
        """)
        #expect(doc == json(#"{"server":true,"ports":{"http":1}}"#))
    }

    /// Proves heredocs keep their lines and final newline; `<<-` strips the terminator's indentation.
    @Test func heredocs() throws {
        let doc = try hcl("""
        plain = <<EOF
          keep indent
        line two
        EOF
        indented = <<-EOT
            first
              second

            third
            EOT
        empty = <<X
        X
        list = [<<A
        in list
        A
        , "after"]
        """)
        #expect(doc["plain"] == .string("  keep indent\nline two\n"))
        #expect(doc["indented"] == .string("first\n  second\n\nthird\n"))
        #expect(doc["empty"] == .string(""))
        #expect(doc["list"] == .array([.string("in list\n"), .string("after")]))
    }

    /// Proves an empty file (or only comments) is an empty object, and CRLF line endings work.
    @Test func emptyAndCRLF() throws {
        #expect(try hcl("") == .object([]))
        #expect(try hcl("# nothing\n// here\n") == .object([]))
        #expect(try hcl("a = 1\r\nb = <<E\r\nx\r\nE\r\n") == json(#"{"a":1,"b":"x\n"}"#))
    }

    /// Proves a document starting with `{` is read as JSON, as HCL's decoder does.
    @Test func jsonInHCLFile() throws {
        #expect(try hcl(#"  {"server": true, "ports": {"http": 1}}"#) == json(#"{"server":true,"ports":{"http":1}}"#))
    }
}
