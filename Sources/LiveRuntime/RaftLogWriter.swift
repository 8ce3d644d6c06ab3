import CSQLite
import Platform
import Wire

/// The SQL side of `SQLiteRaftStorage`: schema, start-up validation and one transaction per
/// group of operations, through statements prepared once and reused. Confined to one thread
/// at a time (the opener, then the storage thread after `adoptCurrentThread`).
final class RaftLogWriter {
    enum Operation {
        case write(RaftWriteBatch)
        case compact(UInt64)
    }

    let path: String
    private var connection: Connection?

    /// The connection and its reusable statements; dropping it finalizes them and closes the file.
    private struct Connection {
        let db: SQLiteDatabase
        let begin, commit, rollback: SQLiteStatement
        let truncateFrom, insert, compactThrough, putStable: SQLiteStatement
    }

    private init(path: String, connection: Connection) {
        self.path = path
        self.connection = connection
    }

    static func open(path: String) throws(StorageError) -> RaftLogWriter {
        do {
            let db = try SQLiteDatabase(path: path)
            let mode = try db.prepare("PRAGMA journal_mode=WAL")
            let walOn = try mode.step() && mode.text(at: 0).lowercased() == "wal"
            try mode.reset()
            guard walOn else { throw StorageError(path: path, message: "cannot switch the journal to WAL mode") }
            // FULL: every WAL commit is fsynced before COMMIT returns — a completed write survives power loss.
            try db.exec("PRAGMA synchronous=FULL")
            try db.exec("""
                CREATE TABLE IF NOT EXISTS log(idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB, crc INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS stable(key TEXT PRIMARY KEY, value BLOB);
                """)
            let connection = Connection(
                db: db,
                begin: try db.prepare("BEGIN IMMEDIATE"),
                commit: try db.prepare("COMMIT"),
                rollback: try db.prepare("ROLLBACK"),
                truncateFrom: try db.prepare("DELETE FROM log WHERE idx >= ?1"),
                insert: try db.prepare("INSERT INTO log(idx, term, type, data, crc) VALUES (?1, ?2, ?3, ?4, ?5)"),
                compactThrough: try db.prepare("DELETE FROM log WHERE idx <= ?1"),
                putStable: try db.prepare("INSERT OR REPLACE INTO stable(key, value) VALUES (?1, ?2)"))
            return RaftLogWriter(path: path, connection: connection)
        } catch let error as SQLiteError {
            throw StorageError(sqlite: error)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(path: path, message: "\(error)")
        }
    }

    func adoptCurrentThread() { connection?.db.adoptCurrentThread() }

    /// Finalizes the statements and closes the database (on the calling thread).
    func release() { connection = nil }

    /// Checks the file (PRAGMA quick_check, then every row's CRC-32C) and reads the hard state and the whole log,
    /// which must have no gaps.
    func load() throws(StorageError) -> StoredRaftState {
        guard let db = connection?.db else { throw StorageError(path: path, message: "database is closed") }
        do {
            let check = try db.prepare("PRAGMA quick_check")
            var problems: [String] = []
            while try check.step() { problems.append(check.text(at: 0).split(separator: "\n").joined(separator: " ")) }
            if problems != ["ok"] {
                throw StorageError(path: path, message: "database is corrupt (quick_check: \(problems.prefix(5).joined(separator: "; ")))")
            }

            var hardState = StoredHardState(term: 0, vote: "")
            let stable = try db.prepare("SELECT key, value FROM stable")
            while try stable.step() {
                switch stable.text(at: 0) {
                case "term": hardState.term = UInt64(bitPattern: stable.int64(at: 1))
                case "vote": hardState.vote = stable.text(at: 1)
                default: break
                }
            }

            var entries: [StoredEntry] = []
            let log = try db.prepare("SELECT idx, term, type, data, crc FROM log ORDER BY idx")
            while try log.step() {
                let index = UInt64(bitPattern: log.int64(at: 0))
                let kind = log.int64(at: 2)
                if let previous = entries.last, index != previous.index + 1 {
                    throw StorageError(path: path, message: "log has a gap: entry \(index) follows entry \(previous.index)")
                }
                guard (0...255).contains(kind) else {
                    throw StorageError(path: path, message: "log entry \(index) has invalid type \(kind)")
                }
                let entry = StoredEntry(index: index, term: UInt64(bitPattern: log.int64(at: 1)),
                                        kind: UInt8(kind), data: log.blob(at: 3))
                let stored = UInt32(truncatingIfNeeded: log.int64(at: 4))
                guard stored == CRC32C.logRow(index: entry.index, term: entry.term, kind: entry.kind, data: entry.data) else {
                    throw StorageError(path: path, message: "database is corrupt: log entry \(index) fails its checksum")
                }
                entries.append(entry)
            }
            return StoredRaftState(hardState: hardState, entries: entries)
        } catch let error as SQLiteError {
            throw StorageError(sqlite: error)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(path: path, message: "\(error)")
        }
    }

    /// Applies the operations in order as one transaction: all of them are durable, or none.
    func commit(_ operations: [Operation]) throws(StorageError) {
        guard let c = connection else { throw StorageError(path: path, message: "database is closed") }
        do {
            try c.begin.run()
            do {
                for operation in operations {
                    switch operation {
                    case .write(let batch): try apply(batch, c)
                    case .compact(let index):
                        try c.compactThrough.bind(Int64(bitPattern: index), at: 1)
                        try c.compactThrough.run()
                    }
                }
                try c.commit.run()
            } catch {
                // A failed COMMIT can leave the transaction open; end it so the next one can begin.
                try? c.rollback.run()
                throw error
            }
        } catch let error as SQLiteError {
            throw StorageError(sqlite: error)
        } catch {
            throw StorageError(path: path, message: "\(error)")
        }
    }

    private func apply(_ batch: RaftWriteBatch, _ c: Connection) throws(SQLiteError) {
        if let hardState = batch.hardState {
            try c.putStable.bind("term", at: 1)
            try c.putStable.bind(Int64(bitPattern: hardState.term), at: 2)
            try c.putStable.run()
            try c.putStable.bind("vote", at: 1)
            try c.putStable.bind(hardState.vote, at: 2)
            try c.putStable.run()
        }
        guard let first = batch.entries.first else { return }
        // The batch replaces the log from its first index on: drop a conflicting suffix first.
        try c.truncateFrom.bind(Int64(bitPattern: first.index), at: 1)
        try c.truncateFrom.run()
        for entry in batch.entries {
            try c.insert.bind(Int64(bitPattern: entry.index), at: 1)
            try c.insert.bind(Int64(bitPattern: entry.term), at: 2)
            try c.insert.bind(Int64(entry.kind), at: 3)
            try c.insert.bind(entry.data, at: 4)
            try c.insert.bind(Int64(CRC32C.logRow(index: entry.index, term: entry.term, kind: entry.kind, data: entry.data)), at: 5)
            try c.insert.run()
        }
    }
}

extension StorageError {
    /// SQLite's error as Platform's: the file, then what SQLite said about which statement.
    init(sqlite error: SQLiteError) {
        let what = error.isCorruption ? "database is corrupt: " : ""
        self.init(path: error.path, message: "\(what)\(error.operation): \(error.message)")
    }
}
