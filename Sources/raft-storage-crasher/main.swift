// raft-storage-crasher <directory>: appends Raft log entries through SQLiteRaftStorage forever,
// 32 writes in flight, and prints each index once its write has completed (is durable), one
// write(2) per line so nothing sits in a buffer. The crash-durability test SIGKILLs it mid-write
// and then checks that every printed index survived. Entry i holds `RaftStorageCrasher.payload(i)`.
import Glibc
import LiveRuntime
import Platform

enum RaftStorageCrasher {
    static let inFlight = 32
    static let term: UInt64 = 1

    /// 128 bytes the test can recompute: "entry <index>" padded with dots.
    static func payload(_ index: UInt64) -> [UInt8] {
        var bytes = Array("entry \(index) ".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "."), count: max(0, 128 - bytes.count)))
        return bytes
    }

    static func say(_ line: String, fd: Int32 = 1) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            say("usage: raft-storage-crasher <directory>", fd: 2)
            exit(2)
        }
        let loop = try EventLoop()
        let storage = try SQLiteRaftStorage(directory: CommandLine.arguments[1], loop: loop)
        var next = (try storage.load().entries.last?.index ?? 0) + 1
        var pending = 0
        var first = true

        func fill() {
            while pending < inFlight {
                let index = next
                next += 1
                pending += 1
                let entry = StoredEntry(index: index, term: term, kind: 1, data: payload(index))
                let batch = RaftWriteBatch(hardState: first ? StoredHardState(term: term, vote: "crasher") : nil,
                                           entries: [entry])
                first = false
                storage.write(batch) { result in
                    pending -= 1
                    if case .failure(let error) = result {
                        say("raft-storage-crasher: \(error)", fd: 2)
                        exit(1)
                    }
                    say("\(index)")
                    fill()
                }
            }
        }
        fill()
        loop.run()
    }
}

do {
    try RaftStorageCrasher.main()
} catch {
    RaftStorageCrasher.say("raft-storage-crasher: \(error)", fd: 2)
    exit(1)
}
