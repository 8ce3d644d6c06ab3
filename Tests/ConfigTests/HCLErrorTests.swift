import Config
import Testing

private func hclError(_ text: String) -> String? {
    do { _ = try HCLParser.parse(Array(text.utf8), path: "/etc/consul.d/a.hcl"); return nil } catch { return error.message }
}

@Suite("HCLParser errors")
struct HCLErrorTests {
    /// Proves malformed input is refused with the file, line:column and what was expected.
    @Test(arguments: [
        ("server = true\ndatacenter = \"x\"\nports 8500\n",
         #"At 3:7: expected '=' or '{' after key "ports""#),
        ("ports: { http = 1 }",
         #"At 1:6: expected '=' or '{' after key "ports" (HCL assigns with '=', not ':')"#),
        ("server true\nui = true\n",
         #"At 1:8: expected '=' or '{' after key "server""#),
        ("service \"web\" = 1",
         #"At 1:15: expected '{' after the labels of block "service""#),
        ("ports {\n  http = 8500\n",
         "At 3:1: expected '}' to close the object opened at 1:7, found end of file"),
        ("a = 1\n}\n",
         "At 2:1: expected a key, found '}'"),
        ("a {\n  = 1\n}",
         "At 2:3: expected a key or '}', found '='"),
        ("retry_interval = 30s",
         "At 1:18: invalid number 30s (durations and other text must be quoted)"),
        ("node_name = web1",
         #"At 1:13: expected a value for key "node_name", found bare word web1 (strings must be quoted)"#),
        ("a = ",
         #"At 1:5: expected a value (string, number, bool, list or object) for key "a", found end of file"#),
        ("retry_join = [\"a\" \"b\"]",
         #"At 1:19: expected ',' or ']' in the list for key "retry_join" opened at 1:14, found string "b""#),
        ("a = [1, ]]",
         "At 1:10: expected a key, found ']'"),
        ("name = \"web\nport = 1",
         #"At 1:8: string not terminated: expected '"' before the end of the line (use a heredoc for multi-line text)"#),
        ("a = \"bad \\q escape\"",
         #"At 1:10: invalid escape sequence \q in string"#),
        ("a = 1 /* open",
         "At 1:7: comment not terminated: expected '*/'"),
        ("a = <<EOF\nline\n",
         "At 1:5: heredoc not terminated: expected a line EOF"),
        ("a = <<\nx\n",
         "At 1:7: expected a heredoc anchor after '<<'"),
        ("a = <<EOF x\n",
         "At 1:10: expected a newline after heredoc anchor EOF"),
        ("a = 08",
         "At 1:5: invalid number 08 (a leading 0 means octal)"),
        ("a = 99999999999999999999",
         "At 1:5: invalid number 99999999999999999999"),
        ("a = @",
         "At 1:5: unexpected character '@'"),
        ("x = 1\n  é = \"ok\" @",
         "At 2:12: unexpected character '@'"),
    ])
    func malformed(_ text: String, _ expected: String) {
        #expect(hclError(text) == "Error parsing /etc/consul.d/a.hcl: \(expected)")
    }

    /// Proves nesting is bounded rather than recursing without limit.
    @Test func depthLimit() {
        let deep = "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(hclError(deep)?.contains("nested more than 128 deep") == true)
        let ok = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(hclError(ok) == nil)
    }

    /// Proves a `.hcl` file holding JSON reports JSON's error, still naming the file.
    @Test func jsonErrors() {
        #expect(hclError(#"{"a": tru}"#)?.hasPrefix("Error parsing /etc/consul.d/a.hcl: invalid literal") == true)
    }
}
