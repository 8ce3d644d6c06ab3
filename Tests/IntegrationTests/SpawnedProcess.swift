import Foundation
import Glibc

/// A helper server (python3 scripts) started with posix_spawn and reaped with our own waitpid —
/// never Foundation.Process, whose Linux reaping can block its one manager thread (see Dnsmasq
/// in DNSRecursorLiveTests) and hang every later `waitUntilExit()` in the test process.
final class SpawnedProcess {
    private(set) var pid: pid_t = 0

    init(_ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard status == 0 else { throw SpawnError(status: status) }
    }

    deinit { stop() }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        pid = 0
    }

    /// Runs a short tool to completion (output discarded); its exit status.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = try SpawnedProcess(arguments)
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) == -1 && errno == EINTR {}
        process.pid = 0
        return (status >> 8) & 0xff
    }

    struct SpawnError: Error { let status: Int32 }
}
