import Platform

/// FSM snapshots as LZ4 frames under `<directory>` (the caller passes `<data-dir>/raft/snapshots`),
/// laid out by `SnapshotDirectory`. `init` and `loadNewest` are start-up calls on the caller's
/// thread. `save` is loop-thread only: the writing runs on libuv's thread pool, one save at a
/// time in call order, and completes on the loop. `list` answers from memory (no disk on the loop).
public final class LZ4SnapshotStore: SnapshotStore {
    public let directory: String
    private let loop: EventLoop
    /// Newest first; replaced when a save completes.
    private var snapshots: [SnapshotMeta]
    private var waiting: [SnapshotSave] = []
    private var saving = false

    public init(directory: String, loop: EventLoop) throws {
        self.directory = directory
        self.loop = loop
        do {
            try Files.makeDirectories(directory)
        } catch let error as FileError {
            throw StorageError(path: error.path, message: error.message)
        }
        snapshots = try SnapshotDirectory.scan(directory)
    }

    public func save(_ meta: SnapshotMeta, data: [UInt8],
                     completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void) {
        loop.assertOnLoop()
        waiting.append(SnapshotSave(directory: directory, meta: meta, data: data, completion: completion))
        startNextSave()
    }

    public func loadNewest() throws -> (meta: SnapshotMeta, data: [UInt8])? {
        try SnapshotDirectory.loadNewest(directory)
    }

    public func list() -> [SnapshotMeta] { snapshots }

    /// Saves run one at a time, so naming, renaming and pruning never race each other.
    private func startNextSave() {
        guard !saving, !waiting.isEmpty else { return }
        saving = true
        let job = waiting.removeFirst()
        loop.runOnPool({ () -> SnapshotSave in
            job.perform()
            return job
        }, then: { [self] job in finish(job) })
    }

    private func finish(_ job: SnapshotSave) {
        saving = false
        let result = job.result ?? .failure(StorageError(path: directory, message: "snapshot save did not run"))
        if case .success(let saved) = result { snapshots = saved.all }
        job.completion(result.map(\.meta))
        startNextSave()
    }
}

/// One queued save. `perform` runs on a libuv pool thread and touches only this object's
/// fields; the loop reads `result` after libuv's after-work callback.
private final class SnapshotSave {
    let directory: String
    let meta: SnapshotMeta
    let data: [UInt8]
    let completion: (Result<SnapshotMeta, StorageError>) -> Void
    var result: Result<(meta: SnapshotMeta, all: [SnapshotMeta]), StorageError>?

    init(directory: String, meta: SnapshotMeta, data: [UInt8],
         completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void) {
        self.directory = directory
        self.meta = meta
        self.data = data
        self.completion = completion
    }

    func perform() {
        do throws(StorageError) {
            let saved = try SnapshotDirectory.write(directory, meta: meta, data: data,
                                                    millis: SnapshotDirectory.wallClockMillis())
            result = .success((saved, try SnapshotDirectory.scan(directory)))
        } catch {
            result = .failure(error)
        }
    }
}
