import Config
import Foundation
@testable import LiveRuntime
import Platform
import Testing

/// `LogWriter`: lines leave on its own thread, in order, all of them by `close()`; on the journal
/// they carry their priority instead of a timestamp; the log file rotates and prunes.
@Suite(.serialized) struct LogWriterTests {
    private func temp() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logw-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func line(_ i: Int) -> String { "2026-12-07T22:37:48.293Z [INFO]  agent: line \(i): n=\(i)" }

    @Test func everyLineInOrderByClose() throws {
        let dir = try temp()
        let fd = open(dir + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let writer = try LogWriter(config: LogConfig(), stdoutFD: fd)
        for i in 0..<5000 { writer.write(line: line(i), level: .info) }
        writer.close()
        let text = try String(contentsOfFile: dir + "/stdout", encoding: .utf8)
        #expect(text == (0..<5000).map { line($0) + "\n" }.joined())
    }

    @Test func journalLinesCarryPriorityNotTimestamp() throws {
        let dir = try temp()
        let fd = open(dir + "/journal", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        setenv("JOURNAL_STREAM", "\(st.st_dev):\(st.st_ino)", 1)
        defer { unsetenv("JOURNAL_STREAM") }
        let writer = try LogWriter(config: LogConfig(), stdoutFD: fd)
        writer.write(line: "2026-12-07T22:37:48.293Z [WARN]  agent: careful", level: .warn)
        writer.write(line: "2026-12-07T22:37:48.294Z [ERROR] agent: broken", level: .error)
        writer.write(line: #"{"@level":"info","@message":"json"}"#, level: .info)
        writer.close()
        let text = try String(contentsOfFile: dir + "/journal", encoding: .utf8)
        #expect(text == "<4>[WARN]  agent: careful\n<3>[ERROR] agent: broken\n<6>{\"@level\":\"info\",\"@message\":\"json\"}\n")
        // Another file is not the journal.
        let other = open(dir + "/other", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(other) }
        #expect(LogWriter.isJournal(fd) && !LogWriter.isJournal(other))
    }

    @Test func logFileRotatesAndKeepsMaxFiles() throws {
        let dir = try temp()
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        var config = LogConfig()
        config.file = dir + "/logs/agent.log"
        config.rotateBytes = 1000
        config.rotateMaxFiles = 3
        let writer = try LogWriter(config: config, stdoutFD: devNull)
        for i in 0..<400 { writer.write(line: line(i), level: .info) }
        writer.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/logs").sorted()
        let rotated = names.filter { $0.hasPrefix("agent-") && $0.hasSuffix(".log") }
        #expect(names.contains("agent.log"))
        #expect(rotated.count == 3, "\(names)")
        // The newest lines survive, in order, ending in the active file.
        var all = ""
        for name in rotated.sorted(by: { UInt64($0.dropFirst(6).dropLast(4))! < UInt64($1.dropFirst(6).dropLast(4))! }) + ["agent.log"] {
            all += try String(contentsOfFile: dir + "/logs/" + name, encoding: .utf8)
        }
        #expect(all.hasSuffix(line(399) + "\n"))
        let kept = all.split(separator: "\n")
        #expect(kept == (400 - kept.count..<400).map { Substring(line($0)) })
        // A restart appends to the active file instead of truncating it.
        let before = try String(contentsOfFile: dir + "/logs/agent.log", encoding: .utf8)
        let again = try LogWriter(config: config, stdoutFD: devNull)
        again.write(line: "after restart", level: .info)
        again.close()
        let after = try String(contentsOfFile: dir + "/logs/agent.log", encoding: .utf8)
        // (Unless the active file was already full: then that write rotated it first.)
        #expect(after == (before.utf8.count >= 1000 ? "" : before) + "after restart\n")
    }
}
