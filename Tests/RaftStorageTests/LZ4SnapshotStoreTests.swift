import Foundation
import LiveRuntime
import Platform
import Testing

/// LZ4SnapshotStore on a real loop and real files: round trips, retention of two, refusal of
/// a damaged newest snapshot (naming the file), and indifference to leftover `.tmp` directories.
@Suite struct LZ4SnapshotStoreTests {
    static func state(_ count: Int, seed: UInt8) -> [UInt8] {
        // Compressible but not trivial: repeating text with the index mixed in.
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 / 7) &* 31 &+ Int(seed)) }
    }

    /// Saves in order (all queued at once) and waits on the loop for every completion.
    func save(_ store: LZ4SnapshotStore, _ loop: EventLoop,
              _ snapshots: [(SnapshotMeta, [UInt8])]) -> [Result<SnapshotMeta, StorageError>] {
        var results: [Result<SnapshotMeta, StorageError>] = []
        for (meta, data) in snapshots { store.save(meta, data: data) { results.append($0) } }
        loop.run(until: { results.count == snapshots.count })
        return results
    }

    func snapshotDirectories(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    @Test func emptyStore() throws {
        let dir = try TemporaryDirectory("snap-empty")
        defer { dir.remove() }
        let store = try LZ4SnapshotStore(directory: dir.path + "/raft/snapshots", loop: try EventLoop())
        #expect(try store.loadNewest() == nil)
        #expect(store.list().isEmpty)
    }

    @Test func saveThenLoadRoundTrip() throws {
        let dir = try TemporaryDirectory("snap-roundtrip")
        defer { dir.remove() }
        let path = dir.path + "/raft/snapshots"
        let loop = try EventLoop()
        let store = try LZ4SnapshotStore(directory: path, loop: loop)
        let data = Self.state(300_000, seed: 1)
        let meta = SnapshotMeta(index: 42, term: 3, configuration: Array("voters=a,b,c".utf8))
        let loopThread = pthread_self()
        var onLoop = false
        var result: Result<SnapshotMeta, StorageError>?
        store.save(meta, data: data) {
            onLoop = pthread_equal(pthread_self(), loopThread) != 0
            result = $0
        }
        loop.run(until: { result != nil })
        #expect(onLoop)
        var expected = meta
        expected.size = UInt64(data.count)
        #expect(try result?.get() == expected)
        #expect(store.list() == [expected])

        // Layout: one `<term>-<index>-<ms>` directory holding meta.json and state.lz4.
        let names = try snapshotDirectories(path)
        #expect(names.count == 1 && names[0].hasPrefix("3-42-"))
        #expect(try snapshotDirectories("\(path)/\(names[0])") == ["meta.json", "state.lz4"])
        let compressed = try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(names[0])/state.lz4"))
        #expect(compressed.prefix(4) == Data([0x04, 0x22, 0x4d, 0x18]), "LZ4 frame magic")
        #expect(compressed.count < data.count / 4)

        // A fresh store (start-up) finds and verifies it.
        let reopened = try LZ4SnapshotStore(directory: path, loop: loop)
        #expect(reopened.list() == [expected])
        let loaded = try #require(try reopened.loadNewest())
        #expect(loaded.meta == expected)
        #expect(loaded.data == data)
    }

    /// Configurations of every length mod 3 (base64 padding) and an empty state round-trip.
    @Test func smallAndEmptyValues() throws {
        let dir = try TemporaryDirectory("snap-small")
        defer { dir.remove() }
        let path = dir.path + "/snapshots"
        let loop = try EventLoop()
        for length in 0..<5 {
            let store = try LZ4SnapshotStore(directory: path, loop: loop)
            let meta = SnapshotMeta(index: UInt64(10 + length), term: 1, configuration: (0..<length).map { UInt8(250 + $0) })
            let data = length == 0 ? [] : Self.state(length * 10, seed: 9)
            let results = save(store, loop, [(meta, data)])
            #expect(results.count == 1)
            let loaded = try #require(try LZ4SnapshotStore(directory: path, loop: loop).loadNewest())
            #expect(loaded.meta.configuration == meta.configuration)
            #expect(loaded.data == data)
        }
    }

    @Test func onlyTheNewestTwoAreKept() throws {
        let dir = try TemporaryDirectory("snap-retain")
        defer { dir.remove() }
        let path = dir.path + "/raft/snapshots"
        let loop = try EventLoop()
        let store = try LZ4SnapshotStore(directory: path, loop: loop)
        let snapshots = (1...4).map { i in
            (SnapshotMeta(index: UInt64(i * 100), term: UInt64(i), configuration: [UInt8(i)]), Self.state(5000 * i, seed: UInt8(i)))
        }
        let results = save(store, loop, snapshots)
        #expect(results.count == 4)
        #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
        #expect(store.list().map(\.index) == [400, 300])
        let names = try snapshotDirectories(path)
        #expect(names.count == 2)
        #expect(names.allSatisfy { $0.hasPrefix("4-400-") || $0.hasPrefix("3-300-") })

        let reopened = try LZ4SnapshotStore(directory: path, loop: loop)
        #expect(reopened.list().map(\.index) == [400, 300])
        let newest = try #require(try reopened.loadNewest())
        #expect(newest.meta.index == 400 && newest.data == snapshots[3].1)
    }

    /// A damaged newest snapshot is refused with an error naming its state.lz4 — no silent
    /// fall-back to the older one.
    @Test(arguments: ["flip", "truncate", "truncate-and-fix-meta", "drop-checksum"])
    func corruptStateIsRefused(_ damage: String) throws {
        let dir = try TemporaryDirectory("snap-\(damage)")
        defer { dir.remove() }
        let path = dir.path + "/raft/snapshots"
        let loop = try EventLoop()
        let store = try LZ4SnapshotStore(directory: path, loop: loop)
        _ = save(store, loop, [
            (SnapshotMeta(index: 10, term: 1, configuration: []), Self.state(100_000, seed: 1)),
            (SnapshotMeta(index: 20, term: 1, configuration: []), Self.state(100_000, seed: 2)),
        ])
        let newest = try #require(try snapshotDirectories(path).first { $0.hasPrefix("1-20-") })
        let stateFile = "\(path)/\(newest)/state.lz4"
        let metaFile = "\(path)/\(newest)/meta.json"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stateFile)))
        switch damage {
        case "flip": bytes[bytes.count / 2] ^= 0x40
        case "truncate": bytes.removeLast(bytes.count / 3)
        case "truncate-and-fix-meta":
            // Past the stateBytes check, so the LZ4 frame itself must notice.
            bytes.removeLast(9)
            var meta = String(decoding: try Data(contentsOf: URL(fileURLWithPath: metaFile)), as: UTF8.self)
            meta = meta.replacingOccurrences(of: "\"stateBytes\":\(bytes.count + 9)", with: "\"stateBytes\":\(bytes.count)")
            try Data(meta.utf8).write(to: URL(fileURLWithPath: metaFile))
        default:
            bytes[bytes.count - 1] ^= 0xff   // the content checksum itself
        }
        try Data(bytes).write(to: URL(fileURLWithPath: stateFile))

        let error = try #require(throws: StorageError.self) {
            try LZ4SnapshotStore(directory: path, loop: loop).loadNewest()
        }
        #expect(error.path == stateFile, "\(error)")
        #expect(error.description.contains("state.lz4"))
    }

    @Test func corruptMetaIsRefused() throws {
        let dir = try TemporaryDirectory("snap-meta")
        defer { dir.remove() }
        let path = dir.path + "/snapshots"
        let loop = try EventLoop()
        _ = save(try LZ4SnapshotStore(directory: path, loop: loop), loop,
                 [(SnapshotMeta(index: 5, term: 2, configuration: [1]), Self.state(1000, seed: 3))])
        let metaFile = "\(path)/\(try snapshotDirectories(path)[0])/meta.json"
        try Data("{\"index\":5,".utf8).write(to: URL(fileURLWithPath: metaFile))
        let error = try #require(throws: StorageError.self) { try LZ4SnapshotStore(directory: path, loop: loop) }
        #expect(error.path == metaFile, "\(error)")
    }

    /// A crash mid-save leaves `<name>.tmp`; readers ignore it (even if it looks newer), and
    /// the next save clears it away.
    @Test func leftoverTemporaryDirectoryIsIgnored() throws {
        let dir = try TemporaryDirectory("snap-tmp")
        defer { dir.remove() }
        let path = dir.path + "/raft/snapshots"
        let loop = try EventLoop()
        let data = Self.state(20_000, seed: 4)
        _ = save(try LZ4SnapshotStore(directory: path, loop: loop), loop,
                 [(SnapshotMeta(index: 10, term: 1, configuration: []), data)])
        let leftover = "\(path)/9-999-1700000000000.tmp"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: false)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftover + "/state.lz4"))

        let store = try LZ4SnapshotStore(directory: path, loop: loop)
        #expect(store.list().map(\.index) == [10])
        let loaded = try #require(try store.loadNewest())
        #expect(loaded.meta.index == 10 && loaded.data == data)

        _ = save(store, loop, [(SnapshotMeta(index: 11, term: 1, configuration: []), data)])
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(store.list().map(\.index) == [11, 10])
    }
}
