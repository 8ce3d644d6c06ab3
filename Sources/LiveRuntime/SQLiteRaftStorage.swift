import Glibc
import Platform

/// The Raft log and stable store in `<directory>/raft.db` (SQLite, WAL, synchronous=FULL).
///
/// `load` runs on the caller's thread at start-up. After that, `write` and `compact` never
/// touch disk on the calling (loop) thread: they queue onto one storage thread, which commits
/// everything queued so far as one transaction (group commit — while one transaction fsyncs,
/// the next group accumulates) and posts the completions back to the loop in call order.
/// `write`, `compact` and `close` are called from the loop thread; call `close` before the
/// loop is destroyed (it posts the closing of its wake-up handle to the loop).
public final class SQLiteRaftStorage: RaftStorage {
    public typealias Completion = (Result<Void, StorageError>) -> Void

    /// The database file (`<directory>/raft.db`).
    public let path: String
    private let writer: RaftLogWriter
    private let queue: GroupCommitQueue
    private var thread: pthread_t?
    private var closed = false

    public init(directory: String, loop: EventLoop) throws {
        path = directory + "/raft.db"
        do {
            try Files.makeDirectories(directory)
        } catch let error as FileError {
            throw StorageError(path: error.path, message: error.message)
        }
        let isNew = !Files.exists(path)
        writer = try RaftLogWriter.open(path: path)
        // A new file's directory entry must be durable too, or a crash could lose the whole log.
        if isNew { try DurableFiles.syncDirectory(directory) }
        queue = GroupCommitQueue(wakeup: LoopWakeup(loop: loop))
    }

    deinit { close() }

    /// SQLite transactions committed so far (each is one WAL fsync). Any thread.
    public var transactionsCommitted: Int { queue.transactionsCommitted }

    /// Start-up only, before the first `write`/`compact`: checks the file, then reads it.
    public func load() throws -> StoredRaftState {
        precondition(thread == nil, "SQLiteRaftStorage.load is a start-up call, before the first write")
        return try writer.load()
    }

    public func write(_ batch: RaftWriteBatch, completion: @escaping Completion) {
        for (earlier, later) in zip(batch.entries, batch.entries.dropFirst()) {
            precondition(later.index == earlier.index + 1, "RaftWriteBatch entries must be consecutive")
        }
        enqueue(.write(batch), completion)
    }

    public func compact(through index: UInt64, completion: @escaping Completion) {
        enqueue(.compact(index), completion)
    }

    /// Commits whatever is queued, stops the storage thread and closes the database. Blocks
    /// until the queued writes are durable (shutdown only). Their completions run on the loop's
    /// next turn, after which the loop's wake-up handle closes.
    public func close() {
        guard !closed else { return }
        closed = true
        if let thread {
            queue.stop()
            pthread_join(thread, nil)
            self.thread = nil
        } else {
            writer.release()
        }
        // Posted, so that it runs after the completions already queued on the loop.
        let wakeup = queue.wakeup
        wakeup.post { wakeup.close() }
    }

    private func enqueue(_ operation: RaftLogWriter.Operation, _ completion: @escaping Completion) {
        precondition(!closed, "SQLiteRaftStorage used after close")
        if thread == nil { startThread() }
        queue.push(operation, completion)
    }

    /// The storage thread: takes the connection over and commits groups until stopped.
    private func startThread() {
        let context = Unmanaged.passRetained(StorageThreadContext(writer: writer, queue: queue)).toOpaque()
        var id = pthread_t()
        let status = pthread_create(&id, nil, { raw in
            let context = Unmanaged<StorageThreadContext>.fromOpaque(raw!).takeRetainedValue()
            context.run()
            return nil
        }, context)
        precondition(status == 0, "pthread_create for the Raft storage thread failed: \(status)")
        thread = id
    }
}

/// What the storage thread owns while it runs.
private final class StorageThreadContext {
    let writer: RaftLogWriter
    let queue: GroupCommitQueue
    init(writer: RaftLogWriter, queue: GroupCommitQueue) { self.writer = writer; self.queue = queue }

    func run() {
        writer.adoptCurrentThread()
        // After a failed commit the log on disk may no longer be what Raft believes it wrote,
        // so every later operation fails with the same error (Raft must stop, not carry on).
        var failure: StorageError?
        while let group = queue.takeAll() {
            let result: Result<Void, StorageError>
            if let failure {
                result = .failure(failure)
            } else {
                do {
                    try writer.commit(group.map(\.operation))
                    queue.countTransaction()
                    result = .success(())
                } catch {
                    failure = error
                    result = .failure(error)
                }
            }
            let completions = group.map(\.completion)
            queue.wakeup.post { for completion in completions { completion(result) } }
        }
        // Close the connection here, so its final WAL checkpoint runs off the loop thread too.
        writer.release()
    }
}

/// The hand-over between the loop thread (producer) and the storage thread (consumer).
private final class GroupCommitQueue: @unchecked Sendable {
    typealias Item = (operation: RaftLogWriter.Operation, completion: SQLiteRaftStorage.Completion)
    let wakeup: LoopWakeup
    private var mutex = pthread_mutex_t()
    private var ready = pthread_cond_t()
    private var items: [Item] = []
    private var stopping = false
    private var transactions = 0

    init(wakeup: LoopWakeup) {
        self.wakeup = wakeup
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&ready, nil)
    }

    deinit {
        pthread_cond_destroy(&ready)
        pthread_mutex_destroy(&mutex)
    }

    func push(_ operation: RaftLogWriter.Operation, _ completion: @escaping SQLiteRaftStorage.Completion) {
        pthread_mutex_lock(&mutex)
        items.append((operation, completion))
        pthread_mutex_unlock(&mutex)
        pthread_cond_signal(&ready)
    }

    /// Everything queued so far (waiting while nothing is); nil once stopped and drained.
    func takeAll() -> [Item]? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while items.isEmpty && !stopping { pthread_cond_wait(&ready, &mutex) }
        if items.isEmpty { return nil }
        defer { items.removeAll(keepingCapacity: true) }
        return items
    }

    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_mutex_unlock(&mutex)
        pthread_cond_signal(&ready)
    }

    func countTransaction() {
        pthread_mutex_lock(&mutex)
        transactions += 1
        pthread_mutex_unlock(&mutex)
    }

    var transactionsCommitted: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return transactions
    }
}
