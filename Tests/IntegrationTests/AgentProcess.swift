import Foundation
import Glibc

/// The real `consul` binary, started as a child process on free loopback ports.
/// Tests talk to it over real sockets; `stop()` or deinit kills it.
final class AgentProcess {
    let process = Process()
    let httpPort: Int
    let ports: [String: Int]
    private let output = Pipe()
    private let logLock = NSLock()
    private var logText = ""

    var httpAddress: String { "127.0.0.1:\(httpPort)" }

    /// Starts `consul agent -dev` plus `extraArgs` and waits until HTTP answers.
    init(extraArgs: [String] = [], dev: Bool = true, reusing previous: [String: Int]? = nil,
         environment: [String: String] = [:]) throws {
        var ports: [String: Int] = previous ?? [:]
        if previous == nil {
            for name in ["http-port", "dns-port", "serf-lan-port", "serf-wan-port", "server-port", "grpc-port"] {
                ports[name] = try freePort()
            }
        }
        self.ports = ports
        httpPort = ports["http-port"]!
        var args = ["agent"] + (dev ? ["-dev"] : [])
        for (name, port) in ports.sorted(by: { $0.key < $1.key }) { args += ["-\(name)", String(port)] }
        args += extraArgs
        process.executableURL = URL(fileURLWithPath: try consulBinary())
        process.arguments = args
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.logLock.lock()
            self.logText += String(decoding: data, as: UTF8.self)
            self.logLock.unlock()
        }
        try process.run()
        try waitUntilServing()
    }

    deinit { stop() }

    var log: String {
        logLock.lock()
        defer { logLock.unlock() }
        return logText
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        output.fileHandleForReading.readabilityHandler = nil
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits (bounded) for the process to exit and returns its status.
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    private func waitUntilServing() throws {
        let deadline = Date().addingTimeInterval(20)
        var lastError = ""
        while Date() < deadline {
            if !process.isRunning { throw AgentError.exited(log) }
            do {
                let response = try HTTP.request("GET", "/v1/agent/self", port: httpPort, timeoutMs: 500)
                if response.status == 200 { return }
            } catch {
                lastError = "\(error)"
            }
            usleep(10_000)
        }
        throw AgentError.neverServed(lastError + "\n" + log)
    }
}

enum AgentError: Error {
    case exited(String)
    case neverServed(String)
    case noBinary
}

/// Whether a test that needs an external tool runs: when the tool is installed, and always under
/// `CI=true` — `make deps` installs every tool the tests use, so there a missing one is a failure,
/// not a skip.
func toolTestEnabled(_ installed: Bool) -> Bool {
    installed || ProcessInfo.processInfo.environment["CI"] == "true"
}

/// The binary under test: `CONSUL_BINARY` (set by `make test`), else the newest build.
func consulBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["CONSUL_BINARY"], FileManager.default.isExecutableFile(atPath: path) {
        return path
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [".build/debug/consul", ".build/release/consul"].map { root.appendingPathComponent($0).path }
        .filter { FileManager.default.isExecutableFile(atPath: $0) }
    let newest = candidates.max { a, b in
        let da = (try? FileManager.default.attributesOfItem(atPath: a)[.modificationDate] as? Date) ?? .distantPast
        let db = (try? FileManager.default.attributesOfItem(atPath: b)[.modificationDate] as? Date) ?? .distantPast
        return da < db
    }
    guard let path = newest else { throw AgentError.noBinary }
    return path
}

/// A loopback port free for both TCP and UDP right now (closed again, so the agent can bind it),
/// never one handed out recently in this process (the kernel may repeat a just-closed port).
func freePort() throws -> Int {
    for _ in 0..<100 {
        let port = tcpEphemeralPort()
        guard udpPortFree(port), claimPort(port) else { continue }
        return port
    }
    throw AgentError.noBinary
}

private let recentPortsLock = NSLock()
nonisolated(unsafe) private var recentPorts = Set<Int>()

/// True the first time this process hands out `port`.
private func claimPort(_ port: Int) -> Bool {
    recentPortsLock.lock()
    defer { recentPortsLock.unlock() }
    return recentPorts.insert(port).inserted
}

private func udpPortFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    let len = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0
}

private func tcpEphemeralPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Result of running the CLI once.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `consul <args>` to completion with an optional environment overlay and stdin.
/// A command that does not finish within `timeoutSeconds` is killed and reported with status -9.
func runCLI(_ args: [String], environment: [String: String] = [:], stdin: String? = nil,
            timeoutSeconds: Double = 60) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try consulBinary())
    process.arguments = args
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "CONSUL_HTTP_ADDR")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    // Output goes to files, not pipes: tests run in parallel and a child spawned meanwhile by
    // another test would inherit a pipe's write end, so waiting for EOF could hang.
    let out = try OutputFile(), err = try OutputFile()
    let input = Pipe()
    process.standardOutput = out.handle
    process.standardError = err.handle
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    process.waitUntilExit()
    let stdoutData = out.contents()
    let stderrData = err.contents()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                     stderr: String(decoding: stderrData, as: UTF8.self))
}

/// A temporary file a child writes its output to; read after the child exits.
final class OutputFile {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
    let handle: FileHandle

    init() throws {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    func contents() -> Data { (try? Data(contentsOf: url)) ?? Data() }
}

/// Runs a tool (dig, …) to completion and returns its standard output.
func runTool(_ arguments: [String], timeoutSeconds: Double = 30) throws -> String {
    try runToolStatus(arguments, timeoutSeconds: timeoutSeconds, withStderr: false).output
}

/// Runs a tool found on the PATH to completion (killed after `timeoutSeconds`), optionally in
/// `directory`: its exit status and output (stderr too when asked). Output goes to a file,
/// not a pipe, which a child another test spawns meanwhile could inherit.
func runToolStatus(_ arguments: [String], timeoutSeconds: Double = 30, withStderr: Bool = true,
                   directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = try OutputFile()
    process.standardOutput = out.handle
    process.standardError = withStderr ? out.handle : FileHandle.nullDevice
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out.contents(), as: UTF8.self))
}
