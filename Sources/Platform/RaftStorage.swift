/// One Raft log entry as storage sees it: opaque bytes with their index, term and kind code.
/// (The Raft module owns the meaning of `kind`; storage only keeps it.)
public struct StoredEntry: Equatable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var kind: UInt8
    public var data: [UInt8]
    public init(index: UInt64, term: UInt64, kind: UInt8, data: [UInt8]) {
        self.index = index
        self.term = term
        self.kind = kind
        self.data = data
    }
}

/// Raft's stable state: current term and the vote cast in it ("" = none).
public struct StoredHardState: Equatable, Sendable {
    public var term: UInt64
    public var vote: String
    public init(term: UInt64, vote: String) { self.term = term; self.vote = vote }
}

/// What a server finds on disk at start-up.
public struct StoredRaftState: Equatable, Sendable {
    public var hardState: StoredHardState
    /// Entries after the newest snapshot (or all of them), in index order, no gaps.
    public var entries: [StoredEntry]
    public init(hardState: StoredHardState, entries: [StoredEntry]) {
        self.hardState = hardState
        self.entries = entries
    }
}

/// One durable write: optionally a new hard state, and entries that replace the log from
/// `entries.first.index` on (a conflicting suffix is truncated first). All or nothing.
public struct RaftWriteBatch: Equatable, Sendable {
    public var hardState: StoredHardState?
    public var entries: [StoredEntry]
    public init(hardState: StoredHardState? = nil, entries: [StoredEntry] = []) {
        self.hardState = hardState
        self.entries = entries
    }
    public var isEmpty: Bool { hardState == nil && entries.isEmpty }
}

/// A storage failure, naming the file and what went wrong.
public struct StorageError: Error, Equatable, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// The Raft log and stable store. `write` and `compact` complete on the loop thread, in the
/// order they were called; when `write` completes, the batch survives power loss. Batches
/// queued while an earlier one syncs are committed together (group commit).
public protocol RaftStorage: AnyObject {
    func load() throws -> StoredRaftState
    func write(_ batch: RaftWriteBatch, completion: @escaping (Result<Void, StorageError>) -> Void)
    /// Drops entries with index ≤ `index` (they are covered by a snapshot).
    func compact(through index: UInt64, completion: @escaping (Result<Void, StorageError>) -> Void)
    func close()
}

/// Identifies a snapshot: the last log entry it covers and the membership at that point.
public struct SnapshotMeta: Equatable, Sendable {
    public var index: UInt64
    public var term: UInt64
    /// Encoded Raft configuration at `index` (the Raft module's format).
    public var configuration: [UInt8]
    public var size: UInt64
    public init(index: UInt64, term: UInt64, configuration: [UInt8], size: UInt64 = 0) {
        self.index = index
        self.term = term
        self.configuration = configuration
        self.size = size
    }
}

/// Durable FSM snapshots. `save` completes on the loop thread once the snapshot is fsynced
/// and visible; a store keeps the newest two. `loadNewest` never returns a snapshot that fails
/// its checksum: it throws naming the file.
public protocol SnapshotStore: AnyObject {
    func save(_ meta: SnapshotMeta, data: [UInt8], completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void)
    func loadNewest() throws -> (meta: SnapshotMeta, data: [UInt8])?
    func list() -> [SnapshotMeta]
}

/// Small named records kept durably in one directory (the agent's API-registered services and
/// checks). Writes happen off the loop, in call order; a crash keeps each record whole or old.
public protocol RecordStore: AnyObject {
    /// Every record, read at start-up before the loop runs.
    func loadAll() throws -> [(name: String, bytes: [UInt8])]
    /// `completion` runs on the loop once the record is durable (or failed to become so).
    func put(_ name: String, _ bytes: [UInt8], completion: @escaping (Bool) -> Void)
    func remove(_ name: String, completion: @escaping (Bool) -> Void)
}
