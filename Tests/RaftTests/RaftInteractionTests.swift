import Foundation
import Testing

/// Source-tree location: `REWRITE=1` writes the regenerated transcripts back here.
private let testdataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("testdata")

private func scriptNames() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: testdataDirectory.path)) ?? []
    return names.filter { $0.hasSuffix(".txt") }.sorted()
}

@Suite("Raft interaction scripts")
struct RaftInteractionTests {
    /// Proves the scripts exist, so an empty or misplaced testdata directory cannot pass silently.
    @Test func scriptsArePresent() {
        #expect(scriptNames().count >= 20, "testdata at \(testdataDirectory.path)")
    }

    /// Proves that the Raft core, driven line by line by the script, produces exactly the reviewed
    /// transcript. `REWRITE=1 swift test --filter RaftTests` regenerates the transcripts.
    @Test(arguments: scriptNames())
    func script(_ name: String) throws {
        let url = testdataDirectory.appendingPathComponent(name)
        let file = ScriptFile(parsing: try String(contentsOf: url, encoding: .utf8))
        let rewrite = ProcessInfo.processInfo.environment["REWRITE"] == "1"
        let harness = InteractionHarness()
        var outputs: [[String]] = []
        for block in file.blocks {
            let output: [String]
            do {
                output = try harness.execute(block.command)
            } catch {
                Issue.record("\(name):\(block.line): \(block.command): \(error)")
                if rewrite { outputs.append(["SCRIPT ERROR: \(error)"]) }
                break
            }
            outputs.append(output)
            // The harness's own invariant checks fail the script even when rewriting.
            for line in output where line.contains("SAFETY VIOLATION") || line.contains("ANOMALY") {
                Issue.record("\(name):\(block.line): \(block.command): \(line)")
            }
            guard !rewrite else { continue }
            guard let expected = block.expected else {
                Issue.record("\(name):\(block.line): \(block.command): no expected output (run with REWRITE=1)")
                continue
            }
            if output != expected {
                Issue.record("""
                    \(name):\(block.line): \(block.command)
                    --- expected
                    \(expected.joined(separator: "\n"))
                    --- actual
                    \(output.joined(separator: "\n"))
                    """)
            }
        }
        if rewrite {
            try file.rendered(outputs: outputs).write(to: url, atomically: true, encoding: .utf8)
        }
    }
}
