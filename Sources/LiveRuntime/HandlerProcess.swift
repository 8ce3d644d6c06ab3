import CLibUV
import Glibc

/// Runs a watch handler to completion on the calling thread (never the loop's): bytes on its
/// standard input, extra `NAME=value` entries added to the inherited environment, and its
/// stdout/stderr either inherited (`consul watch`) or captured as a tail (the agent logs it).
/// Only this child's pid is waited for, so libuv's own children are left alone.
public enum HandlerProcess {
    public struct Outcome: Equatable, Sendable {
        /// The exit status, or nil when a signal ended it.
        public var exitCode: Int32?
        public var signal: Int32?
        /// The combined stdout+stderr tail when captured.
        public var output: [UInt8]
        public var succeeded: Bool { exitCode == 0 }
        /// Go's `exec.ExitError` wording: `exit status 2`, `signal: killed`.
        public var failureText: String {
            if let exitCode { return "exit status \(exitCode)" }
            return "signal: \(signal ?? 0)"
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// `captureLimitBytes` nil inherits stdout/stderr; otherwise keeps their last bytes.
    public static func run(arguments: [String], environment extra: [String], stdin input: [UInt8],
                           captureLimitBytes: Int?) throws -> Outcome {
        guard let program = arguments.first, !program.isEmpty else { throw SpawnError(message: "no handler given") }
        var inFds: [Int32] = [-1, -1]
        var outFds: [Int32] = [-1, -1]
        // uv_pipe sets close-on-exec atomically, so children the loop spawns meanwhile never
        // inherit these ends (Glibc's pipe2 is not visible to Swift).
        var piped = uv_pipe(&inFds, 0, 0)
        guard piped == 0 else { throw SpawnError(message: UVError(piped, "pipe").message) }
        if captureLimitBytes != nil {
            piped = uv_pipe(&outFds, 0, 0)
            guard piped == 0 else {
                close(inFds[0]); close(inFds[1])
                throw SpawnError(message: UVError(piped, "pipe").message)
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFds[0], 0)
        if captureLimitBytes != nil {
            posix_spawn_file_actions_adddup2(&actions, outFds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, outFds[1], 2)
        }
        var env: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            env.append(String(cString: entry))
            cursor += 1
        }
        for item in extra {
            let name = item.split(separator: "=", maxSplits: 1).first.map(String.init) ?? item
            env.removeAll { $0.hasPrefix(name + "=") }
            env.append(item)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        // We ignore SIGPIPE (a handler that exits without reading its stdin must not kill us)
        // and may block signals; the handler starts with the defaults and an empty mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(SpawnSignals.reset(&attributes)))
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        close(inFds[0])
        if captureLimitBytes != nil { close(outFds[1]) }
        guard spawned == 0 else {
            close(inFds[1])
            if captureLimitBytes != nil { close(outFds[0]) }
            throw SpawnError(message: "\(program): \(String(cString: strerror(spawned)))")
        }
        let output = pump(input: input, to: inFds[1], from: captureLimitBytes != nil ? outFds[0] : -1,
                          limit: captureLimitBytes ?? 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the C macros do not import.
        let termSignal = status & 0x7F
        if termSignal == 0 { return Outcome(exitCode: (status >> 8) & 0xFF, signal: nil, output: output) }
        return Outcome(exitCode: nil, signal: termSignal, output: output)
    }

    /// Writes `input` and reads the output pipe (if any) together, so neither side can fill a
    /// pipe and wait on the other; a child that never reads its stdin just loses it (EPIPE).
    private static func pump(input: [UInt8], to inFd: Int32, from outFd: Int32, limit: Int) -> [UInt8] {
        var written = 0
        var writeFd: Int32 = inFd
        var readFd: Int32 = outFd
        var tail: [UInt8] = []
        _ = fcntl(inFd, F_SETFL, fcntl(inFd, F_GETFL) | O_NONBLOCK)
        if input.isEmpty { close(writeFd); writeFd = -1 }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while writeFd >= 0 || readFd >= 0 {
            var fds = [pollfd(fd: writeFd, events: Int16(POLLOUT), revents: 0), pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
            if writeFd >= 0 && fds[0].revents != 0 {
                let n = input.withUnsafeBytes { write(writeFd, $0.baseAddress! + written, input.count - written) }
                if n > 0 { written += n }
                if (n < 0 && errno != EAGAIN && errno != EINTR) || written == input.count || fds[0].revents & Int16(POLLERR) != 0 {
                    close(writeFd); writeFd = -1
                }
            }
            if readFd >= 0 && fds[1].revents != 0 {
                let n = read(readFd, &buffer, buffer.count)
                if n > 0 {
                    tail += buffer[0..<n]
                    if tail.count > limit { tail.removeFirst(tail.count - limit) }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(readFd); readFd = -1
                }
            }
        }
        return tail
    }
}
