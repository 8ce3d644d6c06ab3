import Foundation
import Testing

/// The web UI in a real browser: Tests/browser/ui_browser_test.py starts a 3-server cluster of
/// the real binary and drives Debian's Chromium headless through Playwright (services and
/// their health, live updates by blocking queries, KV with a conflicting edit, nodes, servers,
/// deep links). And the embedded copy of the UI files is the one in Sources/WebUI/assets.
@Suite struct WebUILiveTests {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs a command from the repository root.
    private func run(_ args: [String], timeoutSeconds: Double) throws -> (status: Int32, output: String) {
        try runToolStatus(args, timeoutSeconds: timeoutSeconds, directory: root)
    }

    @Test func embeddedAssetsMatchTheSources() throws {
        let check = try run(["python3", "scripts/gen-ui-assets.py", "--check"], timeoutSeconds: 60)
        #expect(check.status == 0, "\(check.output)")
    }

    @Test func browserDrivesTheUIAgainstARealCluster() throws {
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        let ready = try run(["python3", "-c", "import playwright.sync_api"], timeoutSeconds: 60).status == 0
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
        guard ready else {
            // Under CI=true a missing tool fails the test (`make deps` installs both).
            #expect(!ci, "chromium or the playwright Python package is missing (make deps installs them)")
            return
        }
        let result = try run(["python3", "Tests/browser/ui_browser_test.py", "--binary", try consulBinary()], timeoutSeconds: 300)
        #expect(result.status == 0, "\(result.output)")
    }
}
