import Foundation
import LiveRuntime
import Platform
import Testing

/// SQLiteRaftStorage on a real loop and a real file: what is written is what `load` returns
/// after reopening, completions come back in order on the loop thread, and groups batch.
@Suite struct SQLiteRaftStorageTests {
    /// Opens the storage, runs `body`, closes it and lets the loop finish the close.
    func withStorage(_ directory: TemporaryDirectory, _ body: (SQLiteRaftStorage, EventLoop) throws -> Void) throws {
        let loop = try EventLoop()
        let storage = try SQLiteRaftStorage(directory: directory.path + "/raft", loop: loop)
        try body(storage, loop)
        storage.close()
        loop.run()
    }

    func reload(_ directory: TemporaryDirectory) throws -> StoredRaftState {
        var state: StoredRaftState?
        try withStorage(directory) { storage, _ in state = try storage.load() }
        return try #require(state)
    }

    @Test func freshStorageIsEmpty() throws {
        let dir = try TemporaryDirectory("fresh")
        defer { dir.remove() }
        #expect(try reload(dir) == StoredRaftState(hardState: StoredHardState(term: 0, vote: ""), entries: []))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/raft/raft.db"))
    }

    @Test func writeThenLoadRoundTrip() throws {
        let dir = try TemporaryDirectory("roundtrip")
        defer { dir.remove() }
        var written = entries(1...3, term: 1, kind: 2)
        written.append(StoredEntry(index: 4, term: 2, kind: 255, data: []))
        written.append(StoredEntry(index: 5, term: 2, kind: 0, data: [UInt8](repeating: 0xab, count: 70_000)))
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [
                .write(RaftWriteBatch(hardState: StoredHardState(term: 1, vote: "node-a"), entries: Array(written[0..<3]))),
                .write(RaftWriteBatch(hardState: StoredHardState(term: 2, vote: ""), entries: Array(written[3...]))),
            ])
            #expect(results.count == 2 && allSucceeded(results))
        }
        #expect(try reload(dir) == StoredRaftState(hardState: StoredHardState(term: 2, vote: ""), entries: written))
    }

    @Test func conflictingSuffixIsTruncated() throws {
        let dir = try TemporaryDirectory("truncate")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [
                .write(RaftWriteBatch(entries: entries(1...5, term: 1))),
                // A new leader overwrites 3... with its own entries: 5 must go too.
                .write(RaftWriteBatch(entries: entries(3...4, term: 2))),
            ])
            #expect(allSucceeded(results))
        }
        #expect(try reload(dir).entries == entries(1...2, term: 1) + entries(3...4, term: 2))
    }

    @Test func compactionDropsThePrefix() throws {
        let dir = try TemporaryDirectory("compact")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [
                .write(RaftWriteBatch(entries: entries(1...10, term: 1))),
                .compact(4),
            ])
            #expect(allSucceeded(results))
        }
        #expect(try reload(dir).entries == entries(5...10, term: 1))

        // A snapshot past the end of the log (installed from a leader) empties it; appends continue after it.
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [
                .compact(20),
                .write(RaftWriteBatch(entries: entries(21...23, term: 3))),
            ])
            #expect(allSucceeded(results))
        }
        #expect(try reload(dir).entries == entries(21...23, term: 3))
    }

    @Test func hardStateAloneAndLatestWins() throws {
        let dir = try TemporaryDirectory("hardstate")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [
                .write(RaftWriteBatch(hardState: StoredHardState(term: 7, vote: "node-b"))),
                .write(RaftWriteBatch(hardState: StoredHardState(term: 8, vote: "node-c"))),
                .write(RaftWriteBatch()),
            ])
            #expect(results.count == 3 && allSucceeded(results))
        }
        let state = try reload(dir)
        #expect(state.hardState == StoredHardState(term: 8, vote: "node-c"))
        #expect(state.entries.isEmpty)
    }

    /// 256 writes queued before the loop runs at all: the storage thread commits them in a
    /// handful of transactions, and the loop then sees every completion, in call order.
    @Test func groupCommitBatchesAndKeepsOrder() throws {
        let dir = try TemporaryDirectory("group")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            var order: [UInt64] = []
            for index in UInt64(1)...256 {
                storage.write(RaftWriteBatch(entries: entries(index...index, term: 1))) { result in
                    #expect(result.succeeded)
                    order.append(index)
                }
            }
            #expect(order.isEmpty, "completions must wait for the loop")
            loop.run(until: { order.count == 256 })
            #expect(order == Array(1...256))
            let transactions = storage.transactionsCommitted
            #expect(transactions >= 1 && transactions <= 64, "256 writes took \(transactions) transactions")
        }
        #expect(try reload(dir).entries == entries(1...256, term: 1))
    }

    @Test func completionsRunOnTheLoopThread() throws {
        let dir = try TemporaryDirectory("thread")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let loopThread = pthread_self()
            let onLoop = Recorder<Bool>()
            // Issued from another thread, too: completions still come back on the loop.
            let issued = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                storage.compact(through: 0) { _ in onLoop.append(pthread_equal(pthread_self(), loopThread) != 0) }
                issued.signal()
            }
            issued.wait()
            storage.write(RaftWriteBatch(entries: entries(1...2, term: 1))) { _ in
                onLoop.append(pthread_equal(pthread_self(), loopThread) != 0)
            }
            loop.run(until: { onLoop.values.count == 2 })
            #expect(onLoop.values == [true, true])
        }
    }

    /// `close` commits what is queued before stopping; the completions still arrive.
    @Test func closeDrainsQueuedWrites() throws {
        let dir = try TemporaryDirectory("close")
        defer { dir.remove() }
        let loop = try EventLoop()
        let storage = try SQLiteRaftStorage(directory: dir.path + "/raft", loop: loop)
        _ = try storage.load()
        var completed = 0
        for index in UInt64(1)...50 {
            storage.write(RaftWriteBatch(entries: entries(index...index, term: 1))) { if $0.succeeded { completed += 1 } }
        }
        storage.close()
        loop.run()
        #expect(completed == 50)
        #expect(try reload(dir).entries == entries(1...50, term: 1))
    }

    @Test func gapInTheLogIsRefused() throws {
        let dir = try TemporaryDirectory("gap")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            _ = perform(storage, on: loop, [
                .write(RaftWriteBatch(entries: entries(1...3, term: 1))),
                .write(RaftWriteBatch(entries: entries(7...8, term: 1))),
            ])
        }
        let error = try #require(throws: StorageError.self) { try reload(dir) }
        #expect(error.path.hasSuffix("/raft/raft.db"))
        #expect(error.message.contains("gap"))
    }

    /// A damaged file stops start-up with an error naming raft.db.
    @Test(arguments: ["header", "page"])
    func corruptDatabaseIsRefused(_ damage: String) throws {
        let dir = try TemporaryDirectory("corrupt-\(damage)")
        defer { dir.remove() }
        try withStorage(dir) { storage, loop in
            _ = try storage.load()
            let results = perform(storage, on: loop, [.write(RaftWriteBatch(entries: entries(1...2000, term: 1)))])
            #expect(allSucceeded(results))
        }
        let file = dir.path + "/raft/raft.db"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(bytes.count > 8 * 4096, "the log should have been checkpointed into raft.db on close")
        // "header" wrecks the file header; "page" scribbles over b-tree pages in the middle.
        let range = damage == "header" ? 0..<100 : (bytes.count / 2)..<(bytes.count / 2 + 3 * 4096)
        for i in range { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let error = try #require(throws: StorageError.self) { try reload(dir) }
        #expect(error.path == file, "\(error)")
        #expect(error.description.contains("raft.db"))
        #expect(error.message.contains("corrupt") || error.message.contains("not a database"), "\(error)")
    }
}
