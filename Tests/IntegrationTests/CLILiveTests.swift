import Foundation
import Testing

/// The `consul` CLI against a real agent: output, stderr texts and exit codes as Consul's.
@Suite struct CLILiveTests {
    /// put / get / get -detailed / delete round trip, addressed by flag and by CONSUL_HTTP_ADDR.
    @Test func kvPutGetDelete() throws {
        let agent = try AgentProcess()
        let addr = ["-http-addr", agent.httpAddress]
        let put = try runCLI(["kv", "put"] + addr + ["greeting", "hello world"])
        #expect(put.status == 0)
        #expect(put.stdout == "Success! Data written to: greeting\n")
        let get = try runCLI(["kv", "get", "greeting"], environment: ["CONSUL_HTTP_ADDR": agent.httpAddress])
        #expect(get.status == 0)
        #expect(get.stdout == "hello world\n")
        let detailed = try runCLI(["kv", "get"] + addr + ["-detailed", "/greeting"])
        #expect(detailed.status == 0)
        let lines = detailed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("CreateIndex      ") == true)
        #expect(lines.contains("Key              greeting"))
        #expect(lines.contains("Session          -"))
        #expect(lines.last == "Value            hello world")
        let missing = try runCLI(["kv", "get"] + addr + ["nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "Error! No key exists at: nope\n")
        let del = try runCLI(["kv", "delete"] + addr + ["greeting"])
        #expect(del.status == 0)
        #expect(del.stdout == "Success! Deleted key: greeting\n")
        #expect(try runCLI(["kv", "get"] + addr + ["greeting"]).status == 1)
    }

    /// Values from stdin and @file, base64, flags, -recurse and -keys listings.
    @Test func kvDataSourcesAndListings() throws {
        let agent = try AgentProcess()
        let addr = ["-http-addr", agent.httpAddress]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kv-\(UUID().uuidString)")
        try Data("from file".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try runCLI(["kv", "put"] + addr + ["a/file", "@\(file.path)"]).status == 0)
        #expect(try runCLI(["kv", "put"] + addr + ["a/stdin", "-"], stdin: "from stdin").status == 0)
        #expect(try runCLI(["kv", "put"] + addr + ["-base64", "a/b64", "aGk="]).status == 0)
        #expect(try runCLI(["kv", "put"] + addr + ["-flags=7", "b/x", "1"]).status == 0)
        #expect(try runCLI(["kv", "get"] + addr + ["a/b64"]).stdout == "hi\n")
        #expect(try runCLI(["kv", "get"] + addr + ["a/file"]).stdout == "from file\n")
        #expect(try runCLI(["kv", "get"] + addr + ["a/stdin"]).stdout == "from stdin\n")
        let recurse = try runCLI(["kv", "get"] + addr + ["-recurse", "a"])
        #expect(recurse.stdout == "a/b64:hi\na/file:from file\na/stdin:from stdin\n")
        let keys = try runCLI(["kv", "get"] + addr + ["-keys"])
        #expect(keys.stdout == "a/\nb/\n")
        #expect(try runCLI(["kv", "get"] + addr + ["-detailed", "b/x"]).stdout.contains("Flags            7"))
        let bad = try runCLI(["kv", "get"] + addr)
        #expect(bad.status == 1)
        #expect(bad.stderr == "Error! Missing KEY argument\n")
        let cas = try runCLI(["kv", "put"] + addr + ["-cas", "-modify-index=1", "b/x", "2"])
        #expect(cas.status == 1)
        #expect(cas.stderr == "Error! Did not write to b/x: CAS failed\n")
        let tree = try runCLI(["kv", "delete"] + addr + ["-recurse", "a"])
        #expect(tree.stdout == "Success! Deleted keys with prefix: a\n")
        #expect(try runCLI(["kv", "delete"] + addr + ["-cas", "-recurse", "b"]).status == 1)
    }

    /// export prints Consul's tab-indented JSON; import reads it back under a prefix.
    @Test func kvExportImport() throws {
        let agent = try AgentProcess()
        let addr = ["-http-addr", agent.httpAddress]
        _ = try runCLI(["kv", "put"] + addr + ["-flags=3", "cfg/a", "1"])
        _ = try runCLI(["kv", "put"] + addr + ["cfg/b/", ""])
        let export = try runCLI(["kv", "export"] + addr + ["cfg"])
        #expect(export.status == 0)
        #expect(export.stdout == "[\n\t{\n\t\t\"key\": \"cfg/a\",\n\t\t\"flags\": 3,\n\t\t\"value\": \"MQ==\"\n\t},\n\t{\n\t\t\"key\": \"cfg/b/\",\n\t\t\"flags\": 0,\n\t\t\"value\": \"\"\n\t}\n]\n")
        let imported = try runCLI(["kv", "import"] + addr + ["-prefix=copy", "-"], stdin: export.stdout)
        #expect(imported.status == 0)
        #expect(imported.stdout == "Imported: copy/cfg/a\nImported: copy/cfg/b/\n")
        #expect(try runCLI(["kv", "get"] + addr + ["copy/cfg/a"]).stdout == "1\n")
        let broken = try runCLI(["kv", "import"] + addr + ["not json"])
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("Cannot unmarshal data"))
    }

    /// members lists the dev agent as an alive server; a status filter with no match exits 2.
    @Test func members() throws {
        let agent = try AgentProcess(extraArgs: ["-node", "node-one"])
        let result = try runCLI(["members", "-http-addr", agent.httpAddress])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("Node      Address"))
        #expect(lines[1].hasPrefix("node-one  127.0.0.1:\(agent.ports["serf-lan-port"]!)  alive   server"))
        let none = try runCLI(["members", "-http-addr", agent.httpAddress, "-status", "failed"])
        #expect(none.status == 2)
        #expect(none.stdout.isEmpty)
        let detailed = try runCLI(["members", "-http-addr", agent.httpAddress, "-detailed"])
        #expect(detailed.stdout.contains("role=consul"))
    }

    /// Connection failures, usage errors and help behave like Consul's CLI.
    @Test func exitCodesWithoutAgent() throws {
        let port = try freePort()
        let down = try runCLI(["kv", "get", "-http-addr", "127.0.0.1:\(port)", "x"])
        #expect(down.status == 1)
        #expect(down.stderr.hasPrefix("Error querying Consul agent: "))
        #expect(try runCLI([]).status == 127)
        #expect(try runCLI(["no-such-command"]).status == 127)
        #expect(try runCLI(["kv"]).status == 1)
        #expect(try runCLI(["kv", "get", "-h"]).status == 0)
        let badFlag = try runCLI(["kv", "get", "-bogus", "x"])
        #expect(badFlag.status == 1)
        #expect(badFlag.stderr.hasPrefix("flag provided but not defined: -bogus"))
        let version = try runCLI(["version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("Consul v"))
        #expect(try runCLI(["-v"]).stdout == version.stdout)
        let json = try runCLI(["version", "-format=json"])
        #expect(json.stdout.contains("\n   \"Version\": "))
    }
}
