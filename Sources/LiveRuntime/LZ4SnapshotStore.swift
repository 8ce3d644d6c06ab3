import CLibUV
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
        waiting.append(SnapshotSave(store: self, meta: meta, data: data, completion: completion))
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
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        let status = uv_queue_work(loop.loop, request, { request in
            Unmanaged<SnapshotSave>.fromOpaque(request!.pointee.data).takeUnretainedValue().perform()
        }, { request, status in
            let job = Unmanaged<SnapshotSave>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.store.finish(job, cancelled: status == UV_ECANCELED.rawValue)
        })
        if status != 0 {
            Unmanaged<SnapshotSave>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            job.result = .failure(StorageError(path: directory, message: "uv_queue_work: \(UVError(status, "uv_queue_work").message)"))
            finish(job, cancelled: false)
        }
    }

    private func finish(_ job: SnapshotSave, cancelled: Bool) {
        saving = false
        var result = job.result ?? .failure(StorageError(path: directory, message: "snapshot save did not run"))
        if cancelled { result = .failure(StorageError(path: directory, message: "snapshot save cancelled")) }
        if case .success(let saved) = result { snapshots = saved.all }
        job.completion(result.map(\.meta))
        startNextSave()
    }
}

/// One queued save. `perform` runs on a libuv pool thread and touches only this object's
/// fields; the loop reads `result` after libuv's after-work callback.
private final class SnapshotSave {
    let store: LZ4SnapshotStore
    let meta: SnapshotMeta
    let data: [UInt8]
    let completion: (Result<SnapshotMeta, StorageError>) -> Void
    var result: Result<(meta: SnapshotMeta, all: [SnapshotMeta]), StorageError>?

    init(store: LZ4SnapshotStore, meta: SnapshotMeta, data: [UInt8],
         completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void) {
        self.store = store
        self.meta = meta
        self.data = data
        self.completion = completion
    }

    func perform() {
        let directory = store.directory
        do throws(StorageError) {
            let saved = try SnapshotDirectory.write(directory, meta: meta, data: data,
                                                    millis: SnapshotDirectory.wallClockMillis())
            result = .success((saved, try SnapshotDirectory.scan(directory)))
        } catch {
            result = .failure(error)
        }
    }
}
