import Platform

/// Raft storage that keeps everything in memory: `consul agent -dev`, where Consul itself runs
/// Raft in memory and nothing survives a restart. Writes complete at once, in order.
public final class MemoryRaftStorage: RaftStorage {
    private var state = StoredRaftState(hardState: StoredHardState(term: 0, vote: ""), entries: [])
    public init() {}

    public func load() throws -> StoredRaftState { state }

    public func write(_ batch: RaftWriteBatch, completion: @escaping (Result<Void, StorageError>) -> Void) {
        if let hs = batch.hardState { state.hardState = hs }
        if let first = batch.entries.first {
            state.entries.removeAll { $0.index >= first.index }
            state.entries += batch.entries
        }
        completion(.success(()))
    }

    public func compact(through index: UInt64, completion: @escaping (Result<Void, StorageError>) -> Void) {
        state.entries.removeAll { $0.index <= index }
        completion(.success(()))
    }

    public func close() {}
}

/// Snapshots kept in memory (dev mode): the newest two.
public final class MemorySnapshotStore: SnapshotStore {
    private var snapshots: [(meta: SnapshotMeta, data: [UInt8])] = []
    public init() {}

    public func save(_ meta: SnapshotMeta, data: [UInt8], completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void) {
        snapshots.append((meta, data))
        if snapshots.count > 2 { snapshots.removeFirst() }
        completion(.success(meta))
    }

    public func loadNewest() throws -> (meta: SnapshotMeta, data: [UInt8])? { snapshots.last }
    public func list() -> [SnapshotMeta] { snapshots.reversed().map(\.meta) }
}
