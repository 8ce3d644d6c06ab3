import CLibUV
import Glibc
import Platform

/// Log lines to standard output, where Consul's agent writes them. A line is one `write(2)`,
/// so lines from different threads never interleave.
public final class StdoutLogSink: LogSink {
    private let fd: Int32
    public init(fd: Int32 = 1) { self.fd = fd }
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(10)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

/// Randomness from the kernel (libuv asks getrandom(2)), buffered.
public final class SystemRandom: RandomSource {
    private var buffer = [UInt64](repeating: 0, count: 32)
    private var next = 32

    public init() {}

    public func nextUInt64() -> UInt64 {
        if next == buffer.count {
            _ = buffer.withUnsafeMutableBytes { uv_random(nil, nil, $0.baseAddress, $0.count, 0, nil) }
            next = 0
        }
        defer { next += 1 }
        return buffer[next]
    }
}

/// Small file-system helpers for the composition root (config files, data-dir files).
public enum Files {
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, message: errnoText()) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65536) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, message: errnoText())
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[..<n])
        }
    }

    /// Writes via a temporary file, fsync and rename, so readers never see half a file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: temp, message: errnoText()) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = errnoText()
                close(fd)
                throw FileError(path: temp, message: message)
            }
            offset += n
        }
        // A file whose data did not reach the disk must not replace the old one.
        guard fsync(fd) == 0 else {
            let message = errnoText()
            close(fd)
            throw FileError(path: temp, message: "fsync: \(message)")
        }
        guard close(fd) == 0 else { throw FileError(path: temp, message: "close: \(errnoText())") }
        guard rename(temp, path) == 0 else { throw FileError(path: path, message: errnoText()) }
    }

    /// Makes a file's creation or rename durable by syncing its directory.
    public static func syncDirectory(of file: String) throws {
        let slash = file.lastIndex(of: "/")
        let directory = slash.map { file[..<$0].isEmpty ? "/" : String(file[..<$0]) } ?? "."
        try DurableFiles.syncDirectory(directory)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates the directory and its parents (mode 0700 by default).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw FileError(path: current, message: errnoText())
            }
        }
        guard isDirectory(path) else { throw FileError(path: path, message: "not a directory") }
    }

    /// Names in a directory (not recursive), sorted.
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileError(path: path, message: errnoText()) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Standard input, fully.
    public static func readStandardInput() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out }
            out.append(contentsOf: chunk[..<n])
        }
    }
}

public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// The system's wall clock (CLOCK_REALTIME): timestamps for people and file names, never for
/// measuring intervals.
public enum WallClock {
    public static var nanoseconds: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
