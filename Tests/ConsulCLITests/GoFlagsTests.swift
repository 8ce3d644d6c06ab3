@testable import ConsulCLI
import Testing

/// Go `flag` semantics that Consul users rely on.
@Suite struct GoFlagsTests {
    private func flags() -> GoFlags {
        var f = GoFlags()
        f.bool("recurse", "")
        f.value("http-addr", "<addr>", "")
        f.list("tag", "<tag>", "")
        return f
    }

    /// One dash or two, `=value` or a separate argument, all mean the same.
    @Test func spellings() {
        var f = flags()
        #expect(f.parse(["--recurse", "-http-addr=1.2.3.4:8500", "--tag", "a", "-tag=b", "key"]) == .ok)
        #expect(f.flag("recurse"))
        #expect(f.string("http-addr") == "1.2.3.4:8500")
        #expect(f.strings("tag") == ["a", "b"])
        #expect(f.positional == ["key"])
    }

    /// Parsing stops at the first positional argument and at `--`.
    @Test func stopsAtFirstPositional() {
        var f = flags()
        #expect(f.parse(["key", "-recurse"]) == .ok)
        #expect(!f.flag("recurse"))
        #expect(f.positional == ["key", "-recurse"])
        var g = flags()
        #expect(g.parse(["--", "-recurse"]) == .ok)
        #expect(g.positional == ["-recurse"])
    }

    /// Booleans take values only with `=`; Go's ParseBool spellings are accepted.
    @Test func booleanValues() {
        var f = flags()
        #expect(f.parse(["-recurse=false"]) == .ok)
        #expect(!f.flag("recurse"))
        var g = flags()
        #expect(g.parse(["-recurse=T"]) == .ok)
        #expect(g.flag("recurse"))
        var h = flags()
        #expect(h.parse(["-recurse=maybe"]) == .error("invalid boolean value \"maybe\" for -recurse: parse error"))
    }

    /// Unknown flags, missing values and help requests are reported as Go reports them.
    @Test func errorsAndHelp() {
        var f = flags()
        #expect(f.parse(["-nope"]) == .error("flag provided but not defined: -nope"))
        var g = flags()
        #expect(g.parse(["-http-addr"]) == .error("flag needs an argument: -http-addr"))
        var h = flags()
        #expect(h.parse(["-h"]) == .help)
        var i = flags()
        #expect(i.parse(["---x"]) == .error("bad flag syntax: ---x"))
        #expect(parseGoBool("1") == true && parseGoBool("F") == false && parseGoBool("yes") == nil)
    }
}

/// Table layouts and key handling shared by the commands.
@Suite struct OutputFormatTests {
    /// columnize joins columns with two spaces and leaves the last one unpadded.
    @Test func columnizeLayout() {
        let text = columnize(["Node|Address|Status", "a-long-name|127.0.0.1:8301|alive", "b|10.0.0.1:8301|failed"])
        #expect(text == "Node         Address         Status\na-long-name  127.0.0.1:8301  alive\nb            10.0.0.1:8301   failed")
    }

    /// `kv get -detailed` pads the label column by six, as Consul's tabwriter does.
    @Test func detailedBlock() {
        let pair = ConsulAPIKVPair.sample
        let text = KVCommand.detailed(pair, base64: false)
        #expect(text == """
        CreateIndex      3
        Flags            9
        Key              k
        LockIndex        0
        ModifyIndex      4
        Session          -
        Value            v
        """)
    }

    /// Import keys join like Go's path.Join but keep a folder's trailing slash.
    @Test func importKeyJoin() {
        #expect(KVImportCommand.joinKey("", "a/b") == "a/b")
        #expect(KVImportCommand.joinKey("pre", "a/b") == "pre/a/b")
        #expect(KVImportCommand.joinKey("pre/", "dir/") == "pre/dir/")
        #expect(KVCommand.normalizeKey("/x") == "x")
    }

    /// Unknown commands print the command list on stderr and exit 127 (mitchellh/cli writes the
    /// help to its ErrorWriter); `consul kv` alone exits 1; `--help` prints to stdout.
    @Test func topLevelExitCodes() {
        let console = CapturingConsole()
        #expect(CLI.main([], console: console) == 127)
        #expect(console.err.contains("Available commands are:"))
        let unknown = CapturingConsole()
        #expect(CLI.main(["bogus"], console: unknown) == 127)
        #expect(unknown.err.hasPrefix("Usage: consul [--version] [--help] <command> [<args>]") && unknown.out.isEmpty)
        #expect(CLI.main(["kv"], console: console) == 1)
        #expect(CLI.main(["--help"], console: console) == 0)
    }
}

import ConsulAPI

enum ConsulAPIKVPair {
    static let sample = KVPair(key: "k", value: Array("v".utf8), flags: 9, lockIndex: 0, session: "", createIndex: 3, modifyIndex: 4)
}

final class CapturingConsole: Console {
    var out = ""
    var err = ""
    override func info(_ text: String) { out += text + "\n" }
    override func error(_ text: String) { err += text + "\n" }
    override func raw(_ text: String) { out += text }
    override func rawBytes(_ bytes: [UInt8]) { out += String(decoding: bytes, as: UTF8.self) }
}
