import Foundation
import LiveRuntime
import Platform

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "raft-storage-tests-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension EventLoop {
    /// Turns the loop until `done()` or the deadline; true if `done()` became true.
    @discardableResult
    func run(until done: () -> Bool, timeoutSeconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !done() {
            if Date() > deadline { return false }
            runOnce()
            usleep(200)
        }
        return true
    }
}

/// Entries `range` with `term`, each holding bytes derived from its index.
func entries(_ range: ClosedRange<UInt64>, term: UInt64, kind: UInt8 = 0) -> [StoredEntry] {
    range.map { StoredEntry(index: $0, term: term, kind: kind, data: Array("entry \($0) term \(term)".utf8)) }
}

/// Writes and compactions in order, waiting on the loop for all of them; returns the results.
func perform(_ storage: SQLiteRaftStorage, on loop: EventLoop,
             _ operations: [StorageOperation]) -> [Result<Void, StorageError>] {
    var results: [Result<Void, StorageError>] = []
    for operation in operations {
        switch operation {
        case .write(let batch): storage.write(batch) { results.append($0) }
        case .compact(let index): storage.compact(through: index) { results.append($0) }
        }
    }
    loop.run(until: { results.count == operations.count })
    return results
}

enum StorageOperation {
    case write(RaftWriteBatch)
    case compact(UInt64)
}

extension Result where Success == Void {
    var succeeded: Bool { if case .success = self { return true } else { return false } }
}

func allSucceeded(_ results: [Result<Void, StorageError>]) -> Bool {
    results.allSatisfy { $0.succeeded }
}

/// Values appended from any thread (reads after the writers are done).
final class Recorder<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Value] = []
    func append(_ value: Value) { lock.lock(); stored.append(value); lock.unlock() }
    var values: [Value] { lock.lock(); defer { lock.unlock() }; return stored }
}
