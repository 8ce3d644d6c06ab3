import ConsulState
import Platform
import Raft

/// Start-up recovery: the newest valid snapshot, then the log after it, into a Raft core and a
/// StateStore. A snapshot that fails its checks is an error (the server refuses to start).
public enum RaftNodeRecovery {
    /// What `raft/peers.json` recovery must make durable before the server starts: a snapshot
    /// carrying the whole state and the operator's configuration, and the log it replaces.
    public struct PeersRecovery {
        public var meta: SnapshotMeta
        public var data: [UInt8]
        public var compactThrough: UInt64
        /// Indexes of committed commands that did not decode and were skipped (as `RaftNode`
        /// skips them), for the server to report.
        public var undecodable: [UInt64] = []
    }

    public static func recover(config: RaftConfig, storage: RaftStorage, snapshots: SnapshotStore?,
                               bootstrap: Configuration?) throws -> (raft: Raft, store: StateStore) {
        let (raft, store, _) = try recover(config: config, storage: storage, snapshots: snapshots, bootstrap: bootstrap, peers: nil)
        return (raft, store)
    }

    /// With `peers` (manual recovery, as hashicorp/raft's RecoverCluster): every entry in the
    /// log is applied — committed or not, as nobody can tell any more — and the result becomes a
    /// snapshot one index past the log with `peers` as the configuration; the log is dropped.
    public static func recover(config: RaftConfig, storage: RaftStorage, snapshots: SnapshotStore?,
                               bootstrap: Configuration?, peers: Configuration?) throws -> (raft: Raft, store: StateStore, pending: PeersRecovery?) {
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
        guard let peers else {
            let raft = Raft(config: config, hardState: hardState, snapshot: snapshot, entries: entries, bootstrap: bootstrap)
            return (raft, store, nil)
        }
        var lastIndex = snapshot?.index ?? 0
        var lastTerm = snapshot?.term ?? 0
        var undecodable: [UInt64] = []
        for entry in entries where entry.index > lastIndex {
            // peers.json recovery applies the whole log; an entry that does not decode is skipped
            // exactly as RaftNode skips it when applying (and reported), so the states match.
            if entry.kind == .command {
                do { try store.apply(encoded: entry.data, at: entry.index) } catch {
                    store.skip(to: entry.index)
                    undecodable.append(entry.index)
                }
            } else {
                store.skip(to: entry.index)
            }
            lastIndex = entry.index
            lastTerm = entry.term
        }
        let index = lastIndex + 1
        store.skip(to: index)
        let data = store.snapshot()
        let recovered = Snapshot(index: index, term: lastTerm, configuration: peers, data: data)
        let raft = Raft(config: config, hardState: hardState, snapshot: recovered, entries: [], bootstrap: nil)
        let meta = SnapshotMeta(index: index, term: lastTerm, configuration: peers.encoded, size: UInt64(data.count))
        return (raft, store, PeersRecovery(meta: meta, data: data, compactThrough: index, undecodable: undecodable))
    }
}
