import Foundation
import LiveRuntime
import Platform
import Testing
import Wire

/// The snapshot archive (docs/snapshot.md): what `build` writes, `tar` reads, and `open` refuses
/// every kind of damage with a message naming it.
@Suite struct SnapshotArchiveTests {
    private let meta = SnapshotArchiveMeta(index: 42, term: 3, createdMillis: 1_700_000_000_000, stateFormat: 5, size: 0,
                                           servers: [.init(id: "a577b288-b354-770e-e909-da0972eb20e8", address: "10.0.0.1:8300", voter: true)])

    private func archive(_ state: [UInt8]) throws -> [UInt8] {
        var m = meta
        m.size = UInt64(state.count)
        return try SnapshotArchive.build(m, state: state, modifiedSeconds: 1_700_000_000)
    }

    private var state: [UInt8] { Array((0..<20_000).map { "key-\($0 % 97) value \($0)\n" }.joined().utf8) }

    private func refusal(_ bytes: [UInt8]) -> String? {
        do {
            let unpacked = try SnapshotArchive.open(bytes)
            _ = try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func roundTrip() throws {
        let bytes = try archive(state)
        let unpacked = try SnapshotArchive.open(bytes)
        #expect(unpacked.meta.id == "3-42-1700000000000")
        #expect(unpacked.meta.index == 42 && unpacked.meta.term == 3 && unpacked.meta.stateFormat == 5)
        #expect(unpacked.meta.servers == meta.servers)
        #expect(try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size) == state)
        // Compressible text compresses.
        #expect(unpacked.compressedState.count < state.count / 2)
    }

    /// Large state travels as several 8 MiB frames, compressed and inflated in parallel; `lz4 -d`
    /// reads them as one stream, and damage to any frame or a wrong total is refused.
    @Test func largeStateIsChunked() throws {
        var random = SplitMix64(seed: 3)
        let words = (0..<64).map { _ in Array("w\(random.next() % 100_000) ".utf8) }
        var big: [UInt8] = []
        big.reserveCapacity(20 << 20)
        while big.count < 20 << 20 { big += words[Int(random.next() % 64)] }
        let bytes = try archive(big)
        let unpacked = try SnapshotArchive.open(bytes)
        #expect(try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size) == big)
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size + 1) }
        try SnapshotArchive.verifyState(unpacked.compressedState, size: unpacked.meta.size)
        var damaged = unpacked.compressedState
        damaged[damaged.count / 2] ^= 0x40
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.inflate(damaged, size: unpacked.meta.size) }
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.verifyState(damaged, size: unpacked.meta.size) }
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.verifyState(unpacked.compressedState, size: unpacked.meta.size - 1) }
        #expect(throws: SnapshotArchiveError.self) {
            try SnapshotArchive.inflate(Array(unpacked.compressedState.dropLast(5)), size: unpacked.meta.size)
        }
        // The standard tool reads the concatenated frames.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lz4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(unpacked.compressedState).write(to: dir.appendingPathComponent("state.lz4"))
        let lz4 = Process()
        lz4.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
        lz4.arguments = ["-d", "-q", dir.appendingPathComponent("state.lz4").path, dir.appendingPathComponent("state").path]
        try lz4.run()
        lz4.waitUntilExit()
        #expect(lz4.terminationStatus == 0)
        #expect(try Data(contentsOf: dir.appendingPathComponent("state")) == Data(big))
    }

    /// Built from pieces handed over while they are compressed (as a server's save does): the
    /// same state, `meta.size` from the pieces, and `verify` (what `snapshot save` runs) accepts
    /// it and refuses any damage to it.
    @Test func builtFromPiecesAndVerified() throws {
        var random = SplitMix64(seed: 11)
        let pieces: [[UInt8]] = (0..<9).map { i in
            (0..<(i == 8 ? 1234 : 3 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next() % 23 + 65) }
        }
        let bytes = try SnapshotArchive.build(meta, modifiedSeconds: 1_700_000_000) { emit in pieces.forEach(emit) }
        let whole = pieces.flatMap { $0 }
        let verified = try SnapshotArchive.verify(bytes)
        #expect(verified.size == UInt64(whole.count))
        let unpacked = try SnapshotArchive.open(bytes)
        #expect(try SnapshotArchive.inflate(unpacked.compressedState, size: unpacked.meta.size) == whole)
        // The same archive as one built from the whole state (the frames' hash was computed in order).
        var sized = meta
        sized.size = UInt64(whole.count)
        let fromWhole = try SnapshotArchive.open(try SnapshotArchive.build(sized, state: whole, modifiedSeconds: 1_700_000_000))
        #expect(try SnapshotArchive.inflate(fromWhole.compressedState, size: fromWhole.meta.size) == whole)

        let stateRange = try #require(try Tar.entries(bytes).first { $0.name == "state.lz4" }).data
        var flipped = bytes
        flipped[stateRange.lowerBound + stateRange.count / 3] ^= 0x10
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.verify(flipped) }
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.verify(Array(bytes.prefix(bytes.count - 2048))) }
        #expect(throws: SnapshotArchiveError.self) { try SnapshotArchive.verify([]) }
    }

    /// A plain tar: the system's `tar` lists it and extracts the files with the right checksums.
    @Test func systemTarReadsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("backup.snap")
        try Data(try archive(state)).write(to: file)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-tf", file.path]
        let out = Pipe()
        tar.standardOutput = out
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        let names = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        #expect(names == ["meta.json", "state.lz4", "SHA256SUMS"])
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/sh")
        check.arguments = ["-c", "cd '\(dir.path)' && tar -xf backup.snap && sha256sum -c SHA256SUMS"]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    /// Every kind of damage is refused before anything is used, naming what is wrong.
    @Test func damagedArchivesAreRefused() throws {
        let good = try archive(state)
        let entries = try Tar.entries(good)
        let metaRange = try #require(entries.first { $0.name == "meta.json" }).data
        let stateRange = try #require(entries.first { $0.name == "state.lz4" }).data
        func flipped(_ at: Int) -> [UInt8] { var b = good; b[at] ^= 0x01; return b }
        var random = SplitMix64(seed: 7)
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "empty"),
            ("truncated", Array(good.prefix(good.count / 2)), "truncated"),
            ("flipped byte in the compressed state", flipped(stateRange.lowerBound + stateRange.count / 2), "hash check failed for \"state.lz4\""),
            ("flipped byte in meta.json", flipped(metaRange.lowerBound + 3), "hash check failed for \"meta.json\""),
            ("flipped byte in a tar header", flipped(10), "checksum"),
            ("gzip'd (a HashiCorp Consul archive)", [0x1F, 0x8B, 0x08, 0x00] + good.prefix(100), "gzip"),
            ("random bytes", (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }, "not a valid tar"),
        ]
        for (name, bytes, expected) in cases {
            let message = refusal(bytes)
            #expect(message?.contains(expected) == true, "\(name): \(message ?? "accepted")")
        }
    }

    /// Checksums that match but content that lies (a forged size, an unknown layout version).
    @Test func consistentButWrongArchivesAreRefused() throws {
        let compressed = try SnapshotArchive.open(try archive(state)).compressedState
        var wrongSize = meta
        wrongSize.size = UInt64(state.count + 1)
        #expect(refusal(SnapshotArchive.assemble(wrongSize, compressed: compressed, modifiedSeconds: 0))?.contains("does not decompress") == true)
        var future = meta
        future.version = 9
        #expect(refusal(SnapshotArchive.assemble(future, compressed: compressed, modifiedSeconds: 0)) == "unsupported snapshot version 9")
        // An archive with a fourth file.
        let extra = Array(SnapshotArchive.assemble(meta, compressed: compressed, modifiedSeconds: 0).dropLast(2 * Tar.blockBytes))
            + Tar.file(name: "extra.txt", data: [1], modifiedSeconds: 0) + Tar.endOfArchive
        #expect(refusal(extra) == "unexpected file \"extra.txt\" in snapshot archive")
    }
}
