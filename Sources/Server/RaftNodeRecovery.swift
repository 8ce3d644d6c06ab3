import ConsulState
import Platform
import Raft

/// Start-up recovery: the newest valid snapshot, then the log after it, into a Raft core and a
/// StateStore. A snapshot that fails its checks is an error (the server refuses to start).
public enum RaftNodeRecovery {
    public static func recover(config: RaftConfig, storage: RaftStorage, snapshots: SnapshotStore?,
                               bootstrap: Configuration?) throws -> (raft: Raft, store: StateStore) {
        let stored = try storage.load()
        let store = StateStore()
        var snapshot: Snapshot?
        if let (meta, data) = try snapshots?.loadNewest() {
            guard let configuration = Configuration(encoded: meta.configuration) else {
                throw StorageError(path: "snapshot \(meta.term)-\(meta.index)", message: "bad configuration")
            }
            try store.restore(data)
            snapshot = Snapshot(index: meta.index, term: meta.term, configuration: configuration, data: data)
        }
        let entries = stored.entries.compactMap { e -> Entry? in
            guard let kind = EntryKind(rawValue: e.kind) else { return nil }
            return Entry(index: e.index, term: e.term, kind: kind, data: e.data)
        }
        let hardState = HardState(term: stored.hardState.term, vote: stored.hardState.vote.isEmpty ? nil : stored.hardState.vote)
        let raft = Raft(config: config, hardState: hardState, snapshot: snapshot, entries: entries, bootstrap: bootstrap)
        return (raft, store)
    }
}
