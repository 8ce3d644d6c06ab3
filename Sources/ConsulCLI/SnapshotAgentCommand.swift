import ConsulAPI
import ConsulClient
import Glibc
import LiveRuntime

/// `consul snapshot agent`: periodic backups (beyond Consul CE). Agents running against one
/// cluster elect one saver through a session lock on `-lock-key`, so the cluster takes one
/// snapshot per interval. Each is saved and verified like `consul snapshot save`, named
/// `consul-<unix ms>-<index>.snap` in `-local-path`; once a new one is verified, all but the
/// newest `-retain` are removed. `-interval 0` takes one snapshot (no lock) and exits.
enum SnapshotAgentCommand {
    static let help = """
    Usage: consul snapshot agent [options]

      Runs a daemon that takes a snapshot of the Consul servers every -interval,
      saves it verified under -local-path and keeps the newest -retain of them.
      Several agents may run against one cluster: a lock in the KV store (-lock-key)
      lets exactly one of them take each snapshot.
    """

    static let sessionTTL = "30s"
    static let renewSeconds = 10.0

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("interval", "<duration>", "How often to take a snapshot (default 1h); 0 takes one and exits.")
        flags.value("retain", "<int>", "How many snapshots to keep (default 30); 0 keeps all.")
        flags.value("local-path", "<path>", "Directory to write snapshots to (default \".\").")
        flags.value("lock-key", "<key>", "KV key of the lock that elects the saving agent (default \"consul-snapshot/lock\").")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard flags.positional.isEmpty else {
            console.error("Too many arguments (expected 0, got \(flags.positional.count))")
            return 1
        }
        let intervalText = flags.string("interval") ?? "1h"
        guard let intervalNanos = GoDuration.parse(intervalText), intervalNanos >= 0 else {
            console.error("invalid value \"\(intervalText)\" for flag -interval: parse error")
            return 1
        }
        let retain: Int
        switch flags.int("retain") {
        case .failure(let error): console.error(error.message); return 1
        case .success(let value): retain = value ?? 30
        }
        guard retain >= 0 else { console.error("-retain must not be negative"); return 1 }
        let directory = flags.string("local-path") ?? "."
        guard Files.isDirectory(directory) else {
            console.error("Error: -local-path \"\(directory)\" is not a directory")
            return 1
        }
        let client: ConsulHTTPClient
        do { client = try HTTPFlags.client(flags) } catch {
            console.error("Error connecting to Consul agent: \(error)")
            return 1
        }
        let saver = Saver(client: client, directory: directory, retain: retain, console: console)
        if intervalNanos == 0 { return saver.takeOne() ? 0 : 1 }
        ShutdownSignal.install()
        console.info("Snapshot agent running")
        return Daemon(saver: saver, lockKey: flags.string("lock-key") ?? "consul-snapshot/lock",
                      intervalSeconds: Double(intervalNanos) / 1e9, console: console).run()
    }

    /// Takes, verifies, writes and prunes snapshots.
    struct Saver {
        let client: ConsulHTTPClient
        let directory: String
        let retain: Int
        let console: Console

        func takeOne() -> Bool {
            let archive: [UInt8], index: String
            do {
                let response = try client.sendExpectingOK("GET", "/v1/snapshot")
                (archive, index) = (response.body, response.headers["X-Consul-Index"] ?? "0")
            } catch {
                console.error("Error saving snapshot: \(error)")
                return false
            }
            let name = "consul-\(WallClock.nanoseconds / 1_000_000)-\(index).snap"
            if case .failure(let message) = SnapshotFile.saveVerified(archive, to: directory + "/" + name) {
                console.error(message)
                return false
            }
            console.info("Saved snapshot \(name) (index \(index))")
            prune()
            return true
        }

        /// Keeps the newest `retain` snapshot files (by the time in their names).
        func prune() {
            guard retain > 0 else { return }
            let names: [String]
            do { names = try Files.list(directory) } catch {
                console.error("Error listing \(directory) to prune old snapshots: \(error)")
                return
            }
            let snapshots = names.filter { $0.hasPrefix("consul-") && $0.hasSuffix(".snap") }
                .sorted { millis(of: $0) > millis(of: $1) }
            for old in snapshots.dropFirst(retain) {
                if unlink(directory + "/" + old) == 0 {
                    console.info("Removed old snapshot \(old)")
                } else {
                    console.error("Error removing old snapshot \(old): \(String(cString: strerror(errno)))")
                }
            }
        }

        private func millis(of name: String) -> UInt64 {
            UInt64(name.dropFirst("consul-".count).prefix { $0 != "-" }) ?? 0
        }
    }

    /// Holds the lock and saves every interval until SIGINT/SIGTERM; losing the session or the
    /// lock sends it back to waiting.
    struct Daemon {
        let saver: Saver
        let lockKey: String
        let intervalSeconds: Double
        let console: Console

        func run() -> Int32 {
            var session: String?
            var leading = false
            var nextSnapshot = monotonicSeconds()
            var nextRenew = monotonicSeconds()
            defer { stepDown(session: session, leading: leading) }
            var waitingLogged = false
            while !ShutdownSignal.triggered {
                do {
                    if session == nil {
                        session = try saver.client.sessionCreate(name: "Consul Snapshot Agent", ttl: SnapshotAgentCommand.sessionTTL)
                        nextRenew = monotonicSeconds() + SnapshotAgentCommand.renewSeconds
                    }
                    if monotonicSeconds() >= nextRenew {
                        if try !saver.client.sessionRenew(session!) { session = nil; leading = false; continue }
                        nextRenew = monotonicSeconds() + SnapshotAgentCommand.renewSeconds
                    }
                    if !leading {
                        if !waitingLogged { console.info("Waiting to obtain leadership..."); waitingLogged = true }
                        if try saver.client.kvLock(lockKey, session: session!, value: [], flags: 0) {
                            console.info("Obtained leadership")
                            leading = true
                            waitingLogged = false
                        }
                    } else if try saver.client.kvGet(lockKey)?.session != session {
                        console.info("Lost leadership")
                        leading = false
                    }
                    if leading && monotonicSeconds() >= nextSnapshot {
                        _ = saver.takeOne()
                        nextSnapshot = monotonicSeconds() + intervalSeconds
                    }
                } catch {
                    console.error("Error: \(error)")
                    leading = false
                }
                interruptibleSleep(1, deadline: nil)
            }
            return 0
        }

        private func stepDown(session: String?, leading: Bool) {
            guard let session else { return }
            do {
                if leading { _ = try saver.client.kvLock(lockKey, session: session, value: [], flags: 0, release: true) }
                try saver.client.sessionDestroy(session)
            } catch {
                console.error("Error releasing the snapshot lock: \(error)")
            }
        }
    }
}
