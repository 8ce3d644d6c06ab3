import Wire
import Glibc
import Platform

/// A RecordStore over a directory: each record one file, replaced atomically (temp file,
/// fsync, rename, directory fsync) on libuv's thread pool, one operation at a time so they
/// land in call order. Names are hex-encoded so any ID is a safe file name.
public final class DirectoryRecordStore: RecordStore {
    private let directory: String
    private let loop: EventLoop
    private var queue: [RecordOperation] = []
    private var running = false

    /// Names are used as file names verbatim (the caller's names are already safe).
    private let rawNames: Bool

    public init(directory: String, loop: EventLoop, rawNames: Bool = false) throws {
        self.directory = directory
        self.loop = loop
        self.rawNames = rawNames
        do { try Files.makeDirectories(directory) } catch { throw StorageError(path: directory, message: "\(error)") }
    }

    public func loadAll() throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for file in try Files.list(directory) where !file.hasSuffix(".tmp") {
            guard let name = rawNames ? file : DirectoryRecordStore.decodeName(file) else { continue }
            out.append((name, try Files.read(directory + "/" + file)))
        }
        return out
    }

    public func put(_ name: String, _ bytes: [UInt8], completion: @escaping (Bool) -> Void) {
        enqueue(RecordOperation(path: path(name), bytes: bytes, completion: completion))
    }

    public func remove(_ name: String, completion: @escaping (Bool) -> Void) {
        enqueue(RecordOperation(path: path(name), bytes: nil, completion: completion))
    }

    private func path(_ name: String) -> String { directory + "/" + (rawNames ? name : DirectoryRecordStore.encodeName(name)) }

    private func enqueue(_ op: RecordOperation) {
        queue.append(op)
        startNext()
    }

    private func startNext() {
        guard !running, !queue.isEmpty else { return }
        running = true
        let op = queue.removeFirst()
        op.directory = directory
        loop.runOnPool({ () -> Bool in
            op.perform()
            return op.succeeded
        }, then: { [self] succeeded in
            running = false
            op.completion(succeeded)
            startNext()
        })
    }

    static func encodeName(_ name: String) -> String { Hex.encode(Array(name.utf8)) }

    static func decodeName(_ file: String) -> String? {
        let bytes = Array(file.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let hi = hexDigit(bytes[i]), let lo = hexDigit(bytes[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return nil
        }
    }
}

/// One write or removal, performed on a pool thread; touches only its own fields and the disk.
final class RecordOperation {
    let path: String
    let bytes: [UInt8]?
    let completion: (Bool) -> Void
    var directory = ""
    var succeeded = false
    init(path: String, bytes: [UInt8]?, completion: @escaping (Bool) -> Void) {
        self.path = path
        self.bytes = bytes
        self.completion = completion
    }

    func perform() {
        if let bytes {
            let temp = path + ".tmp"
            unlink(temp)
            guard (try? DurableFiles.writeNew(temp, bytes)) != nil, rename(temp, path) == 0 else { return }
        } else if unlink(path) != 0 && errno != ENOENT {
            return
        }
        succeeded = (try? DurableFiles.syncDirectory(directory)) != nil
    }
}
