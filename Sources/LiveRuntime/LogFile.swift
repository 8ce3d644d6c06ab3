import Glibc

/// `log_file` with Consul's rotation: the active file keeps its name; when it has reached
/// `rotateBytes` or was opened `rotateNanoseconds` ago, it is renamed `<stem>-<unix ns><ext>`
/// and a new one opened, and rotated files beyond `maxFiles` are removed (0 keeps all, -1
/// none). Unlike Consul, a restart appends to the active file instead of truncating it.
/// Used by one thread only (the log writer's).
final class LogFile {
    private let directory: String
    private let name: String
    private let rotateBytes: Int
    private let rotateNanoseconds: UInt64
    private let maxFiles: Int
    private var fd: Int32 = -1
    private var written = 0
    private var openedAt: UInt64 = 0

    init(directory: String, name: String, rotateBytes: Int, rotateNanoseconds: UInt64, maxFiles: Int) throws {
        self.directory = directory
        self.name = name
        self.rotateBytes = rotateBytes
        self.rotateNanoseconds = rotateNanoseconds
        self.maxFiles = maxFiles
        try Files.makeDirectories(directory)
        try openActive()
    }

    deinit { if fd >= 0 { close(fd) } }

    private var activePath: String { directory + "/" + name }

    /// `consul.log` → ("consul", ".log"); a name without an extension gets `.log`, as Consul.
    private var stemAndExtension: (String, String) {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return (String(name[..<dot]), String(name[dot...]))
        }
        return (name, ".log")
    }

    private func openActive() throws {
        fd = open(activePath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw FileError(path: activePath, message: errnoText()) }
        var st = stat()
        written = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        openedAt = Self.monotonicNanoseconds()
    }

    /// Writes one line (rotating first when due). Errors are returned for the writer to report once.
    func write(_ bytes: [UInt8]) -> String? {
        if fd >= 0, (rotateBytes > 0 && written >= rotateBytes) || Self.monotonicNanoseconds() - openedAt >= rotateNanoseconds {
            if let problem = rotate() { return problem }
        }
        guard fd >= 0 else { return "log file \(activePath) is not open" }
        let n = FDWriter.writeAll(fd, bytes)
        if n > 0 { written += n }
        return n == bytes.count ? nil : "writing \(activePath): \(errnoText())"
    }

    private func rotate() -> String? {
        close(fd)
        fd = -1
        let (stem, ext) = stemAndExtension
        let rotated = "\(directory)/\(stem)-\(WallClock.nanoseconds)\(ext)"
        if rename(activePath, rotated) != 0 { return "rotating \(activePath): \(errnoText())" }
        prune(stem: stem, ext: ext)
        do { try openActive() } catch { return "\(error)" }
        return nil
    }

    /// Removes the oldest rotated files beyond `maxFiles`.
    private func prune(stem: String, ext: String) {
        guard maxFiles != 0 else { return }
        let entries: [String]
        do { entries = try Files.list(directory) } catch { return }  // nothing to prune if unreadable
        let rotated = entries.compactMap { entry -> (UInt64, String)? in
            guard entry.hasPrefix(stem + "-"), entry.hasSuffix(ext), entry.count > stem.count + 1 + ext.count else { return nil }
            let stamp = entry.dropFirst(stem.count + 1).dropLast(ext.count)
            return UInt64(stamp).map { ($0, entry) }
        }.sorted { $0.0 < $1.0 }
        let keep = max(maxFiles, 0)
        for (_, entry) in rotated.dropLast(keep) { unlink(directory + "/" + entry) }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Writes a whole buffer to a descriptor: retries partial writes and EINTR, and waits for a
/// non-blocking descriptor to drain. Returns the bytes written.
enum FDWriter {
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, 1000)
                continue
            }
            break
        }
        return offset
    }
}
