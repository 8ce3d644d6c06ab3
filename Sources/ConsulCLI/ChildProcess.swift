import Glibc
import LiveRuntime

/// A child process started by a CLI command (`consul lock`, `consul watch` handlers): argv or
/// `$SHELL -c`, the parent's environment plus `extraEnvironment`, stdout/stderr inherited.
final class CLIChildProcess {
    let pid: pid_t
    private(set) var exitStatus: Int32?

    /// `shell`: run `command` joined by spaces through `$SHELL -c` (`/bin/sh` when unset).
    init(command: [String], shell: Bool, extraEnvironment: [String: String], passStdin: Bool) throws {
        let argv: [String]
        if shell {
            let sh = environment("SHELL").flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
            argv = [sh, "-c", command.joined(separator: " ")]
        } else {
            argv = command
        }
        guard let program = argv.first, !program.isEmpty else { throw CLIChildError("no command given") }
        var env: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            if extraEnvironment[name] == nil { env.append(text) }
            index += 1
        }
        for (k, v) in extraEnvironment.sorted(by: { $0.key < $1.key }) { env.append("\(k)=\(v)") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !passStdin { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The parent ignores SIGPIPE and catches SIGINT/SIGTERM; the child starts with defaults.
        let signalFlags = SpawnSignals.reset(&attributes)
        // Its own process group, so a kill reaches whatever the shell started too.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(signalFlags | Int32(POSIX_SPAWN_SETPGROUP)))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, program, &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw CLIChildError("failed to start \(program): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Non-blocking: true once the child has exited (its status recorded).
    func poll() -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return r < 0 }
        exitStatus = CLIChildProcess.decode(status)
        return true
    }

    /// Blocks until the child exits.
    @discardableResult
    func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = CLIChildProcess.decode(status)
        exitStatus = code
        return code
    }

    /// SIGTERM to the child's process group, then SIGKILL if it has not exited after `graceSeconds`.
    func terminate(graceSeconds: Double = 5) {
        guard !poll() else { return }
        kill(-pid, SIGTERM)
        var waited = 0.0
        while waited < graceSeconds {
            if poll() { return }
            usleep(50_000)
            waited += 0.05
        }
        kill(-pid, SIGKILL)
        wait()
    }

    /// Exit code, or 128 + signal for a child killed by a signal (as shells report it).
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

struct CLIChildError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// SIGINT/SIGTERM/SIGHUP while a long-running CLI command works: noted, then acted on between steps.
enum ShutdownSignal {
    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in ShutdownSignal.received = 1 }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGHUP, handler)
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (the mask is inherited): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var triggered: Bool { received != 0 }
}
