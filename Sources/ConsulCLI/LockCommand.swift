import ConsulAPI
import ConsulClient
import Glibc

/// `consul lock [options] PREFIX CHILD...` (agent.md §2.3, §8.1): hold a lock (or a semaphore
/// slot with `-n`) in KV while a child process runs; the child is killed if the lock is lost.
/// Exit 0 normally, 1 when the lock could not be had, 2 when `-child-exit-code` and the child failed.
enum LockCommand {
    static let help = """
    Usage: consul lock [options] prefix child...

      Acquires a lock or semaphore at a given path, and invokes a child process
      when successful. The child process can assume the lock is held while it
      executes. If the lock is lost or communication is disrupted the child
      process will be sent a SIGTERM signal and given time to gracefully exit.
      After the grace period expires the process will be hard terminated.
    """

    /// Session TTL and how often it is renewed (the Go client's defaults).
    static let sessionTTL = "15s"
    static let renewSeconds = 7.5
    static let monitorWaitMilliseconds = 250

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("n", "<int>", "Optional limit on the number of concurrent lock holders. The underlying implementation switches from a lock to a semaphore when increased past one. The default value is 1.")
        flags.value("name", "<string>", "Optional name to associate with the underlying session. If not provided, one is generated based on the child path.")
        flags.value("timeout", "<duration>", "Maximum amount of time to wait to acquire the lock, specified as a duration like \"1s\" or \"3h\". The default value is 0.")
        flags.value("try", "<duration>", "Deprecated alias of -timeout.")
        flags.value("monitor-retry", "<int>", "Number of times to retry if Consul returns a 500 error while monitoring the lock. The default value is 3.")
        flags.bool("child-exit-code", "Exit 2 if the child process exited with an error. The default value is false.")
        flags.bool("pass-stdin", "Pass stdin to the child process. The default value is false.")
        flags.value("shell", "<bool>", "Use a shell to run the command (can set a custom shell via the SHELL environment variable). The default value is true.")
        flags.bool("verbose", "Enable verbose (debugging) output.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let positional = flags.positional
        guard positional.count >= 2 else {
            console.error("Key prefix and child command must be specified")
            return 1
        }
        var prefix = KVCommand.normalizeKey(positional[0])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let child = Array(positional.dropFirst())
        var limit = 1
        if let text = flags.string("n") {
            guard let n = Int(text), n > 0 else {
                console.error("Number of lock holders must be positive")
                return 1
            }
            limit = n
        }
        var timeout: Double?
        if let text = flags.string("timeout") ?? flags.string("try") {
            guard let nanos = GoDuration.parse(text), nanos >= 0 else {
                console.error("Invalid timeout: \(text)")
                return 1
            }
            if nanos > 0 { timeout = Double(nanos) / 1e9 }
        }
        let monitorRetries = Int(flags.string("monitor-retry") ?? "3") ?? 3
        let shell = flags.string("shell").map { $0 == "true" || $0 == "1" } ?? true
        let verbose = flags.flag("verbose")
        let name = flags.string("name") ?? "Consul lock for '\(child.joined(separator: " "))' at '\(prefix)'"

        ShutdownSignal.install()
        let client: ConsulHTTPClient
        let session: String
        do {
            client = try HTTPFlags.client(flags)
            session = try client.sessionCreate(name: name, ttl: sessionTTL)
        } catch {
            console.error("Error querying Consul agent: \(error)")
            return 1
        }
        defer { try? client.sessionDestroy(session) }
        let locker: Locker = limit == 1
            ? MutexLocker(client: client, prefix: prefix, session: session)
            : SemaphoreLocker(client: client, prefix: prefix, session: session, limit: limit)

        if verbose { console.info("Attempting lock acquisition") }
        let acquired: Bool
        do {
            acquired = try locker.acquire(deadline: timeout.map { monotonicSeconds() + $0 })
        } catch {
            console.error("Lock acquisition failed: \(error)")
            return 1
        }
        guard acquired else {
            console.error("Shutdown triggered or timeout during lock acquisition")
            try? locker.release()
            return 1
        }
        if verbose { console.info("Starting handler") }
        let process: CLIChildProcess
        do {
            process = try CLIChildProcess(command: child, shell: shell, extraEnvironment: ["CONSUL_LOCK_HELD": "true"],
                                          passStdin: flags.flag("pass-stdin"))
        } catch {
            console.error("Error running handler: \(error)")
            release(locker, console)
            return 1
        }
        let lost = watch(process, locker: locker, client: client, session: session, monitorRetries: monitorRetries)
        if lost {
            console.error("Lock lost, killing child")
            process.terminate()
        } else if ShutdownSignal.triggered {
            process.terminate()
        }
        let status = process.wait()
        if verbose { console.info("Child exited with code \(status)") }
        release(locker, console)
        if status != 0 && flags.flag("child-exit-code") { return 2 }
        return 0
    }

    /// Until the child exits (false) or the lock is lost (true): renews the session every
    /// TTL/2 and watches the lock with short blocking reads. Server errors are retried
    /// `monitorRetries` times before the lock counts as lost.
    private static func watch(_ process: CLIChildProcess, locker: Locker, client: ConsulHTTPClient, session: String,
                              monitorRetries: Int) -> Bool {
        var nextRenew = monotonicSeconds() + renewSeconds
        var failures = 0
        while !process.poll() && !ShutdownSignal.triggered {
            do {
                if monotonicSeconds() >= nextRenew {
                    guard try client.sessionRenew(session) else { return true }
                    nextRenew = monotonicSeconds() + renewSeconds
                }
                guard try locker.stillHeld(waitMilliseconds: monitorWaitMilliseconds) else { return true }
                failures = 0
            } catch {
                failures += 1
                if failures > monitorRetries { return true }
                interruptibleSleep(1, deadline: nil)
            }
        }
        return false
    }

    private static func release(_ locker: Locker, _ console: Console) {
        do {
            try locker.release()
            try locker.cleanup()
        } catch {
            console.error("Lock release failed: \(error)")
        }
    }
}
