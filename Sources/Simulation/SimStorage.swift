import Platform

/// A node's disk: what survived (durable) and what was still being written. A write completes
/// after a simulated fsync delay; a crash before that keeps an in-order prefix of the unfinished
/// writes, chosen by the RNG (the rest is lost, as unsynced data is). A batch is all-or-nothing,
/// as a SQLite transaction is.
public final class SimDisk {
    public var hardState = StoredHardState(term: 0, vote: "")
    public var entries: [StoredEntry] = []
    public var snapshots: [(meta: SnapshotMeta, data: [UInt8])] = []
    var inFlight: [(id: UInt64, apply: () -> Void)] = []
    var nextID: UInt64 = 0
    public internal(set) var fsyncs = 0

    public init() {}

    func applyBatch(_ batch: RaftWriteBatch) {
        if let hs = batch.hardState { hardState = hs }
        if let first = batch.entries.first {
            entries.removeAll { $0.index >= first.index }
            entries += batch.entries
        }
    }

    /// Power loss: a random in-order prefix of unfinished writes reached the platter.
    func crash(random: inout SimRandom) {
        let survivors = Int(random.below(UInt64(inFlight.count + 1)))
        for w in inFlight.prefix(survivors) { w.apply() }
        inFlight = []
    }
}

/// RaftStorage over a SimDisk, completing writes after a random fsync latency.
final class SimRaftStorage: RaftStorage {
    private let disk: SimDisk
    private let world: SimWorld
    private let alive: () -> Bool
    private let fsyncNanos: ClosedRange<UInt64>
    private var lastCompletion: UInt64 = 0

    init(disk: SimDisk, world: SimWorld, fsyncNanos: ClosedRange<UInt64>, alive: @escaping () -> Bool) {
        self.disk = disk
        self.world = world
        self.fsyncNanos = fsyncNanos
        self.alive = alive
    }

    func load() throws -> StoredRaftState { StoredRaftState(hardState: disk.hardState, entries: disk.entries) }

    func write(_ batch: RaftWriteBatch, completion: @escaping (Result<Void, StorageError>) -> Void) {
        enqueue(apply: { [disk] in disk.applyBatch(batch) }, completion: completion)
    }

    func compact(through index: UInt64, completion: @escaping (Result<Void, StorageError>) -> Void) {
        enqueue(apply: { [disk] in disk.entries.removeAll { $0.index <= index } }, completion: completion)
    }

    /// Completions happen in call order (a single storage thread), each after its "fsync".
    private func enqueue(apply: @escaping () -> Void, completion: @escaping (Result<Void, StorageError>) -> Void) {
        disk.nextID += 1
        let id = disk.nextID
        disk.inFlight.append((id, apply))
        let done = max(lastCompletion, world.now) + world.random.range(fsyncNanos.lowerBound, fsyncNanos.upperBound)
        lastCompletion = done
        world.schedule(at: done) { [disk, alive] in
            guard let i = disk.inFlight.firstIndex(where: { $0.id == id }) else { return } // lost in a crash
            // Everything queued before it is durable first (in-order storage thread).
            let ready = disk.inFlight[...i]
            for w in ready { w.apply() }
            disk.inFlight.removeFirst(i + 1)
            disk.fsyncs += 1
            if alive() { completion(.success(())) }
        }
    }

    func close() {}
}

/// SnapshotStore over a SimDisk. A save takes a while (write, fsync, rename) and completes
/// later; a crash before then loses it, as a half-written snapshot file is never renamed.
final class SimSnapshotStore: SnapshotStore {
    private let disk: SimDisk
    private let world: SimWorld
    private let alive: () -> Bool
    static let saveNanos: ClosedRange<UInt64> = 1_000_000...40_000_000

    init(disk: SimDisk, world: SimWorld, alive: @escaping () -> Bool) {
        self.disk = disk
        self.world = world
        self.alive = alive
    }

    func save(_ meta: SnapshotMeta, data: [UInt8], completion: @escaping (Result<SnapshotMeta, StorageError>) -> Void) {
        let after = world.random.range(Self.saveNanos.lowerBound, Self.saveNanos.upperBound)
        world.schedule(after: after) { [disk, alive] in
            guard alive() else { return }  // crashed first: the file never appeared
            disk.snapshots.append((meta, data))
            disk.snapshots.sort { $0.meta.index < $1.meta.index }
            if disk.snapshots.count > 2 { disk.snapshots.removeFirst(disk.snapshots.count - 2) }
            completion(.success(meta))
        }
    }

    func loadNewest() throws -> (meta: SnapshotMeta, data: [UInt8])? { disk.snapshots.last }
    func list() -> [SnapshotMeta] { disk.snapshots.reversed().map(\.meta) }
}
