import Foundation
import Testing

/// The Debian package as `make deb` builds it (scripts/build-deb.sh, packaging/): the files a
/// Debian administrator expects, Depends from dpkg-shlibdeps, no lintian errors, and a unit
/// `systemd-analyze verify` accepts. (`make package-test` installs it in a fresh chroot and runs
/// it; this is the part quick enough for every test run.)
@Suite struct PackagingLiveTests {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func tool(_ name: String) -> Bool {
        let path = "/usr/bin/" + name
        if FileManager.default.isExecutableFile(atPath: path) { return true }
        // Under CI=true a missing tool is a failure (`make deps` installs them), never a skip.
        #expect(ProcessInfo.processInfo.environment["CI"] != "true", "\(name) is not installed")
        return false
    }

    private func run(_ executable: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func debBuildsCleanly() throws {
        guard ["dpkg-deb", "dpkg-shlibdeps", "lintian", "systemd-analyze", "strip"].allSatisfy(tool) else { return }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("deb-\(UUID().uuidString.prefix(8))").path
        defer {
            do { try FileManager.default.removeItem(atPath: out) } catch { print("cleanup \(out): \(error)") }
        }
        let built = try run(root.path + "/scripts/build-deb.sh", [try consulBinary(), out])
        try #require(built.status == 0, "\(built.output)")
        let debs = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".deb") }
        let deb = out + "/" + (try #require(debs.first))
        #expect(debs.count == 1 && debs[0].hasPrefix("consul_1.20.0-"))

        let contents = try run("/usr/bin/dpkg-deb", ["-c", deb]).output
        for path in ["./usr/bin/consul", "./etc/consul.d/consul.hcl", "./etc/consul.d/consul.env", "./lib/systemd/system/consul.service",
                     "./usr/share/doc/consul/copyright", "./usr/share/doc/consul/changelog.Debian.gz",
                     "./usr/share/bash-completion/completions/consul", "./usr/share/man/man1/consul.1.gz"] {
            #expect(contents.contains(path + "\n") || contents.contains(path + " "), "\(path) missing:\n\(contents)")
        }
        let depends = try run("/usr/bin/dpkg-deb", ["-f", deb, "Depends"]).output
        for library in ["adduser", "libuv1", "libsqlite3-0", "liblz4-1", "libssl3", "libc6"] {
            #expect(depends.contains(library), "Depends: \(depends)")
        }
        #expect(!depends.contains("swift"), "the Swift runtime is linked statically: \(depends)")
        let conffiles = try run("/bin/sh", ["-c", "dpkg-deb --ctrl-tarfile '\(deb)' | tar -xOf - ./conffiles"]).output
        #expect(conffiles.split(separator: "\n").sorted() == ["/etc/consul.d/consul.env", "/etc/consul.d/consul.hcl"])

        let lintian = try run("/usr/bin/lintian", ["--fail-on", "error", deb])
        #expect(lintian.status == 0, "\(lintian.output)")

        // The unit as shipped, pointed at this binary (systemd-analyze checks ExecStart exists).
        let unitDir = out + "/unit"
        try FileManager.default.createDirectory(atPath: unitDir, withIntermediateDirectories: true)
        let unit = try String(contentsOfFile: root.path + "/packaging/consul.service", encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/bin/consul", with: "ExecStart=" + (try consulBinary()))
            .replacingOccurrences(of: "Documentation=man:consul(1) ", with: "Documentation=")
        try unit.write(toFile: unitDir + "/consul.service", atomically: true, encoding: .utf8)
        let verify = try run("/usr/bin/systemd-analyze", ["verify", unitDir + "/consul.service"])
        let complaints = verify.output.split(separator: "\n").filter { $0.contains("consul.service") }
        #expect(complaints.isEmpty, "\(verify.output)")
    }
}
