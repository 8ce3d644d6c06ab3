// raft-storage-bench [--entries N] [--dir PARENT]: appends N entries of 128 bytes through
// SQLiteRaftStorage into a fresh temporary directory with 1, 16 and 256 writes in flight,
// and prints entries/s and SQLite transactions (each one WAL fsync) per entry — the group
// commit at work. Run with `swift run -c release raft-storage-bench`.
import Glibc
import LiveRuntime
import Platform

enum RaftStorageBench {
    struct Figures {
        var seconds: Double
        var transactions: Int
    }

    static func run(entries: Int, inFlight: Int, parent: String) throws -> Figures {
        var template = Array("\(parent)/raft-storage-bench-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StorageError(path: parent, message: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        defer { removeAll(directory) }

        let loop = try EventLoop()
        let storage = try SQLiteRaftStorage(directory: directory, loop: loop)
        _ = try storage.load()
        let payload = [UInt8](repeating: 0x5a, count: 128)
        var next: UInt64 = 1
        var completed = 0
        var failure: StorageError?

        var pending = 0
        func issue() {
            while pending < inFlight && next <= UInt64(entries) {
                let index = next
                next += 1
                pending += 1
                storage.write(RaftWriteBatch(entries: [StoredEntry(index: index, term: 1, kind: 0, data: payload)])) { result in
                    pending -= 1
                    completed += 1
                    if case .failure(let error) = result { failure = error }
                    if completed == entries { storage.close() } else { issue() }
                }
            }
        }
        let start = loop.now
        issue()
        loop.run()
        let seconds = Double(loop.now.nanoseconds - start.nanoseconds) / 1e9
        if let failure { throw failure }
        return Figures(seconds: seconds, transactions: storage.transactionsCommitted)
    }

    /// The benchmark's own scratch directory: raft.db and its WAL/SHM files.
    static func removeAll(_ directory: String) {
        if let names = try? Files.list(directory) {
            for name in names { unlink(directory + "/" + name) }
        }
        rmdir(directory)
    }

    static func main() throws {
        var entries = 5000
        var parent = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            switch flag {
            case "--entries": entries = Int(arguments.popFirst() ?? "") ?? entries
            case "--dir": parent = arguments.popFirst() ?? parent
            default:
                print("usage: raft-storage-bench [--entries N] [--dir PARENT]")
                exit(2)
            }
        }
        print("raft-storage-bench: \(entries) entries of 128 bytes, SQLite WAL synchronous=FULL, under \(parent)")
        for inFlight in [1, 16, 256] {
            let f = try run(entries: entries, inFlight: inFlight, parent: parent)
            let rate = Double(entries) / f.seconds
            let perEntry = Double(f.transactions) / Double(entries)
            print("in flight \(pad(inFlight, 3)): \(pad(Int(rate), 7)) entries/s  \(format(perEntry)) fsyncs/entry  (\(f.transactions) transactions, \(format(f.seconds)) s)")
        }
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }

    static func format(_ x: Double) -> String {
        let scaled = Int((x * 1000).rounded())
        let fraction = String(scaled % 1000)
        return "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

do {
    try RaftStorageBench.main()
} catch {
    print("raft-storage-bench: \(error)")
    exit(1)
}
