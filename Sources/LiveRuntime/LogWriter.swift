import Config
import Glibc
import Platform

/// Where the agent's log lines go: stdout (journald, when run by systemd), and optionally the
/// `log_file` (rotating) and syslog. The loop only queues a line; one thread of its own does
/// the writing, so a slow disk, a full pipe or a stalled journald never stops the loop. If the
/// queue reaches `queueLimit` lines, further lines are counted and dropped, and the count is
/// logged once writing catches up. When stdout is systemd's journal (`$JOURNAL_STREAM` names
/// it), each line there starts with its syslog priority (`<6>`) instead of a timestamp: journald
/// stamps lines itself and files them by level (`journalctl -p warning`).
public final class LogWriter: LogSink {
    public static let queueLimit = 20_000

    private let stdoutFD: Int32
    private let stdoutIsJournal: Bool
    private let file: LogFile?
    private let syslogFacility: Int32?
    private var queue: [(String, LogLevel)] = []
    private var dropped = 0
    private var closed = false
    private var lock = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var thread: JoinableThread?

    /// Opens the log file (creating its directory) and syslog as `config` asks; throws when the
    /// file cannot be opened, which stops start-up as in Consul.
    public init(config: LogConfig, stdoutFD: Int32 = 1) throws {
        self.stdoutFD = stdoutFD
        stdoutIsJournal = Self.isJournal(stdoutFD)
        if let location = config.fileLocation {
            file = try LogFile(directory: location.directory, name: location.name, rotateBytes: config.rotateBytes,
                               rotateNanoseconds: config.rotateDurationNanoseconds, maxFiles: config.rotateMaxFiles)
        } else {
            file = nil
        }
        syslogFacility = config.syslog ? SyslogFacility.code(config.syslogFacility) : nil
        if let facility = syslogFacility { openlog("consul", LOG_PID, facility) }
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&changed, nil)
        thread = JoinableThread.start { [unowned self] in self.run() }
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&lock)
    }

    public func write(line: String) { write(line: line, level: .info) }

    public func write(line: String, level: LogLevel) {
        guard thread != nil else {
            deliver([(line, level)])
            return
        }
        pthread_mutex_lock(&lock)
        if queue.count < Self.queueLimit { queue.append((line, level)) } else { dropped += 1 }
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&lock)
    }

    /// Writes what is queued and stops the thread (at exit: no line is lost).
    public func close() {
        pthread_mutex_lock(&lock)
        closed = true
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&lock)
        thread?.join()
        thread = nil
        if syslogFacility != nil { closelog() }
    }

    private func run() {
        var problem: String?
        while true {
            pthread_mutex_lock(&lock)
            while queue.isEmpty && !closed { pthread_cond_wait(&changed, &lock) }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let lost = dropped
            dropped = 0
            let done = closed
            pthread_mutex_unlock(&lock)
            if lost > 0 {
                let note = "consul: \(lost) log lines dropped while the log output was blocked"
                problem = deliver([(note, .warn)]) ?? problem
            }
            if let failure = deliver(batch), problem == nil {
                // Said once on stderr: the log itself may be what is failing.
                problem = failure
                _ = FDWriter.writeAll(2, Array("consul: log output failed: \(failure)\n".utf8))
            }
            if done && batch.isEmpty { return }
        }
    }

    @discardableResult
    private func deliver(_ lines: [(String, LogLevel)]) -> String? {
        var failure: String?
        var out: [UInt8] = []
        for (line, level) in lines {
            if stdoutIsJournal {
                out.append(contentsOf: "<\(SyslogFacility.priority(level))>".utf8)
                out.append(contentsOf: Self.withoutTimestamp(line).utf8)
            } else {
                out.append(contentsOf: line.utf8)
            }
            out.append(10)
        }
        if !out.isEmpty { _ = FDWriter.writeAll(stdoutFD, out) }
        if let file {
            for (line, _) in lines {
                var bytes = Array(line.utf8)
                bytes.append(10)
                if let problem = file.write(bytes) { failure = problem }
            }
        }
        if let facility = syslogFacility {
            for (line, level) in lines {
                line.withCString { text in
                    withVaList([text]) { vsyslog(facility | SyslogFacility.priority(level), "%s", $0) }
                }
            }
        }
        return failure
    }
}

extension LogWriter {
    /// Whether `fd` is the stream `$JOURNAL_STREAM` (`<device>:<inode>`) names.
    static func isJournal(_ fd: Int32) -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: raw).split(separator: ":")
        var st = stat()
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]), fstat(fd, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    /// A text line without its leading timestamp (`2026-…Z [INFO]  …` → `[INFO]  …`); JSON lines
    /// and anything else unchanged.
    static func withoutTimestamp(_ line: String) -> Substring {
        guard let first = line.utf8.first, (48...57).contains(first), let space = line.firstIndex(of: " ") else { return Substring(line) }
        return line[line.index(after: space)...]
    }
}

/// Syslog's numbers for Consul's facility names and levels.
enum SyslogFacility {
    static func code(_ name: String) -> Int32 {
        let index = Int32(LogConfig.facilities.firstIndex(of: name.uppercased()) ?? 16)
        // KERN…FTP are 0…11; LOCAL0…LOCAL7 are 16…23.
        return (index < 12 ? index : index + 4) << 3
    }

    static func priority(_ level: LogLevel) -> Int32 {
        switch level {
        case .trace, .debug: return LOG_DEBUG
        case .info: return LOG_INFO
        case .warn: return LOG_WARNING
        case .error: return LOG_ERR
        }
    }
}
