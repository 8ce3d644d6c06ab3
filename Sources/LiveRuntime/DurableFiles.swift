import Glibc
import Platform

/// File operations for durable storage (snapshots, the Raft directory): every failure is a
/// `StorageError` naming the file and errno's text, and writes reach the disk before returning.
enum DurableFiles {
    /// Creates `path` (which must not exist), writes all of `bytes`, fsyncs and closes it.
    static func writeNew(_ path: String, _ bytes: [UInt8]) throws(StorageError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, "create") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure(path, "write")
                Glibc.close(fd)
                throw error
            }
            offset += n
        }
        if fsync(fd) != 0 {
            let error = failure(path, "fsync")
            Glibc.close(fd)
            throw error
        }
        // close can report a deferred write error (NFS and friends); do not ignore it.
        guard Glibc.close(fd) == 0 else { throw failure(path, "close") }
    }

    /// Makes a directory's entries (new, renamed or removed names) durable.
    static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "open directory") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw failure(path, "fsync directory") }
    }

    static func read(_ path: String) throws(StorageError) -> [UInt8] {
        do {
            return try Files.read(path)
        } catch let error as FileError {
            throw StorageError(path: error.path, message: error.message)
        } catch {
            throw StorageError(path: path, message: "\(error)")
        }
    }

    static func list(_ path: String) throws(StorageError) -> [String] {
        do {
            return try Files.list(path)
        } catch let error as FileError {
            throw StorageError(path: error.path, message: error.message)
        } catch {
            throw StorageError(path: path, message: "\(error)")
        }
    }

    static func makeDirectory(_ path: String) throws(StorageError) {
        guard mkdir(path, 0o700) == 0 else { throw failure(path, "mkdir") }
    }

    static func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw failure(from, "rename to \(to)") }
    }

    /// Removes a directory holding only files (our snapshot directories). Missing is fine.
    static func removeFlatDirectory(_ path: String) throws(StorageError) {
        guard Files.exists(path) else { return }
        for name in try list(path) {
            let file = path + "/" + name
            guard unlink(file) == 0 || errno == ENOENT else { throw failure(file, "unlink") }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw failure(path, "rmdir") }
    }

    private static func failure(_ path: String, _ operation: String) -> StorageError {
        StorageError(path: path, message: "\(operation): \(String(cString: strerror(errno)))")
    }
}
