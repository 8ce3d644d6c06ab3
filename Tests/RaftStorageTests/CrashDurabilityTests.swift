import Foundation
import LiveRuntime
import Platform
import Testing

/// The `raft-storage-crasher` child appends entries and prints every index whose write has
/// completed; we SIGKILL it mid-stream, reopen the log, and every printed index must be there,
/// with no gaps. Three rounds, each continuing the same log after the previous crash.
@Suite struct CrashDurabilityTests {
    /// The helper sits next to the test bundle in the build products directory.
    static var crasherPath: String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("raft-storage-crasher").path
    }

    /// Same bytes as `RaftStorageCrasher.payload`.
    static func payload(_ index: UInt64) -> [UInt8] {
        var bytes = Array("entry \(index) ".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "."), count: max(0, 128 - bytes.count)))
        return bytes
    }

    @Test func acknowledgedWritesSurviveSIGKILL() throws {
        let crasher = Self.crasherPath
        try #require(FileManager.default.isExecutableFile(atPath: crasher),
                     "build the helper first: swift build --product raft-storage-crasher (looked for \(crasher))")
        let dir = try TemporaryDirectory("crash")
        defer { dir.remove() }
        let raftDir = dir.path + "/raft"
        var highestAcknowledged: UInt64 = 0

        for (round, killAfter) in [150, 400, 900].enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: crasher)
            process.arguments = [raftDir]
            let stdout = Pipe(), stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()

            // Read acknowledgements until enough arrived this round, then kill mid-write.
            var buffered = Data()
            var lines: [UInt64] = []
            var killed = false
            while true {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }   // EOF: the child is gone
                buffered.append(chunk)
                while let newline = buffered.firstIndex(of: 10) {
                    let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                    buffered.removeSubrange(buffered.startIndex...newline)
                    if let index = UInt64(line) { lines.append(index) }
                }
                if !killed && lines.count >= killAfter {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true   // keep reading: lines already in the pipe were acknowledged too
                }
            }
            process.waitUntilExit()
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            try #require(killed, "round \(round): crasher exited on its own: \(errors)")
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

            // Acknowledgements continue the log and are in order.
            // (The restarted child continues after the last durable entry, which may be past the
            // last one it acknowledged before the kill.)
            #expect(lines.first.map { $0 > highestAcknowledged } == true)
            #expect(lines == lines.sorted())
            highestAcknowledged = max(highestAcknowledged, lines.last ?? 0)

            let loop = try EventLoop()
            let storage = try SQLiteRaftStorage(directory: raftDir, loop: loop)
            let state = try storage.load()
            storage.close()
            loop.run()

            let last = state.entries.last?.index ?? 0
            #expect(state.entries.first?.index == 1)
            #expect(last >= highestAcknowledged, "round \(round): acknowledged \(highestAcknowledged), found only \(last)")
            #expect(state.entries.map(\.index) == Array(UInt64(1)...max(last, 1)), "round \(round): the log has a gap")
            #expect(state.entries.allSatisfy { $0.data == Self.payload($0.index) && $0.term == 1 && $0.kind == 1 })
            #expect(state.hardState == StoredHardState(term: 1, vote: "crasher"))
        }
    }
}
