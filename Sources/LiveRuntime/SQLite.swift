import CSQLite
import Glibc

/// An SQLite result code as a Swift error, naming the database file, the operation and
/// SQLite's own message (`sqlite3_errmsg`, or `sqlite3_errstr` when there is no connection).
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let code: Int32
    public let operation: String
    public let message: String

    public var description: String { "\(path): \(operation): \(message) (sqlite code \(code))" }

    /// True for the codes that mean the file itself is damaged or is not a database.
    public var isCorruption: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }
}

/// One SQLite connection. One Swift owner per C handle: closed in `deinit`. A connection is
/// confined to one thread at a time (opened NOMUTEX); `adoptCurrentThread` hands it over
/// explicitly, and every use checks it in debug builds.
final class SQLiteDatabase {
    let path: String
    fileprivate let handle: OpaquePointer
    private var owner = pthread_self()

    init(path: String, flags: Int32 = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        // EXRESCODE: extended result codes, so errors say e.g. SQLITE_IOERR_FSYNC, not IOERR.
        let status = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(path: path, code: status, operation: "open", message: message)
        }
        handle = db
    }

    deinit {
        // close_v2 defers the close until every statement is finalized (statements retain us
        // anyway, so by now they are gone).
        sqlite3_close_v2(handle)
    }

    /// Moves the connection to the calling thread (the storage thread takes it over after
    /// start-up). The caller guarantees the previous thread is done with it.
    func adoptCurrentThread() { owner = pthread_self() }

    @inline(__always) fileprivate func assertOwner() {
        assert(pthread_equal(owner, pthread_self()) != 0, "SQLite connection used off its owning thread")
    }

    /// Runs SQL with no parameters, discarding any rows.
    func exec(_ sql: String) throws(SQLiteError) {
        assertOwner()
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        assertOwner()
        var stmt: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil), "prepare \(sql)")
        guard let stmt else {
            throw SQLiteError(path: path, code: SQLITE_MISUSE, operation: "prepare \(sql)", message: "no statement in SQL")
        }
        return SQLiteStatement(database: self, handle: stmt, sql: sql)
    }

    fileprivate func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(SQLiteError) {
        guard status == SQLITE_OK || status == SQLITE_ROW || status == SQLITE_DONE else {
            throw SQLiteError(path: path, code: status, operation: operation(),
                              message: String(cString: sqlite3_errmsg(handle)))
        }
    }
}

/// One prepared statement, reused across executions (`reset` between them); finalized in
/// `deinit`. Holds its connection so the connection outlives it. Parameter and column
/// positions follow SQLite: parameters from 1, columns from 0.
final class SQLiteStatement {
    private let database: SQLiteDatabase
    private let handle: OpaquePointer
    let sql: String

    fileprivate init(database: SQLiteDatabase, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        database.assertOwner()
        try database.check(sqlite3_bind_int64(handle, index, value), "bind \(index) of \(sql)")
    }

    /// Copies the bytes (SQLITE_TRANSIENT): our buffer pointers never outlive this call.
    func bind(_ bytes: [UInt8], at index: Int32) throws(SQLiteError) {
        database.assertOwner()
        let status: Int32 = bytes.withUnsafeBytes { raw in
            // An empty array has no base address; a zero-length blob keeps the value non-NULL.
            guard let base = raw.baseAddress else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(raw.count), csqlite_transient())
        }
        try database.check(status, "bind \(index) of \(sql)")
    }

    func bind(_ text: String, at index: Int32) throws(SQLiteError) {
        database.assertOwner()
        try database.check(sqlite3_bind_text(handle, index, text, -1, csqlite_transient()), "bind \(index) of \(sql)")
    }

    /// Advances one row: true when a row is available, false when the statement is done.
    func step() throws(SQLiteError) -> Bool {
        database.assertOwner()
        let status = sqlite3_step(handle)
        if status == SQLITE_ROW { return true }
        if status == SQLITE_DONE { return false }
        let error = SQLiteError(path: database.path, code: status, operation: sql,
                                message: String(cString: sqlite3_errmsg(database.handle)))
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        throw error
    }

    /// Runs a statement that returns no rows we care about, then resets it for reuse.
    func run() throws(SQLiteError) {
        while try step() {}
        try reset()
    }

    /// Resets for reuse and drops the bound values: a bound blob is a copy (SQLITE_TRANSIENT),
    /// and a statement kept for reuse would otherwise hold the largest one until it is rebound.
    func reset() throws(SQLiteError) {
        database.assertOwner()
        try database.check(sqlite3_reset(handle), "reset \(sql)")
        sqlite3_clear_bindings(handle)
    }

    func int64(at column: Int32) -> Int64 {
        database.assertOwner()
        return sqlite3_column_int64(handle, column)
    }

    func isNull(at column: Int32) -> Bool {
        database.assertOwner()
        return sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// The column's bytes (empty for NULL or a zero-length blob).
    func blob(at column: Int32) -> [UInt8] {
        database.assertOwner()
        // Order matters: ask for the pointer first, then the byte count (SQLite's documented rule).
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func text(at column: Int32) -> String {
        database.assertOwner()
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
