import Glibc
import Platform

/// `<term>-<index>-<unix ms>`: one snapshot directory's name. Newer means a higher index,
/// then a higher term, then a later time.
struct SnapshotName: Comparable {
    var term: UInt64
    var index: UInt64
    var millis: UInt64

    var name: String { "\(term)-\(index)-\(millis)" }

    init(term: UInt64, index: UInt64, millis: UInt64) {
        self.term = term
        self.index = index
        self.millis = millis
    }

    /// Nil for anything else in the directory (including `*.tmp` leftovers).
    init?(parsing name: String) {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) }),
              let term = UInt64(parts[0]), let index = UInt64(parts[1]), let millis = UInt64(parts[2]) else { return nil }
        self.init(term: term, index: index, millis: millis)
    }

    static func < (a: SnapshotName, b: SnapshotName) -> Bool {
        (a.index, a.term, a.millis) < (b.index, b.term, b.millis)
    }
}

/// The on-disk layout of a snapshot store: `<dir>/<name>/{meta.json,state.lz4}`, written as
/// `<name>.tmp` and renamed into place, so a name without `.tmp` is always complete.
/// All of this is blocking file I/O: start-up or a worker thread only, never the loop.
enum SnapshotDirectory {
    static let keep = 2
    static let metaFile = "meta.json"
    static let stateFile = "state.lz4"
    static let temporarySuffix = ".tmp"

    /// Complete snapshots, newest first.
    static func names(in directory: String) throws(StorageError) -> [SnapshotName] {
        try DurableFiles.list(directory).compactMap { SnapshotName(parsing: $0) }.sorted(by: >)
    }

    /// Every snapshot's meta, newest first; an unreadable meta.json is an error naming it.
    static func scan(_ directory: String) throws(StorageError) -> [SnapshotMeta] {
        var metas: [SnapshotMeta] = []
        for name in try names(in: directory) { metas.append(try readMeta(directory, name).meta) }
        return metas
    }

    static func readMeta(_ directory: String, _ name: SnapshotName) throws(StorageError) -> SnapshotMetaFile {
        let path = "\(directory)/\(name.name)/\(metaFile)"
        let file = try SnapshotMetaFile.decode(try DurableFiles.read(path), path: path)
        guard file.meta.index == name.index, file.meta.term == name.term else {
            throw StorageError(path: path, message: "index \(file.meta.index)/term \(file.meta.term) do not match the directory name")
        }
        return file
    }

    /// The newest snapshot, verified: a short `state.lz4`, a bad frame or a checksum mismatch
    /// is an error naming the file (we never fall back to an older snapshot silently).
    static func loadNewest(_ directory: String) throws(StorageError) -> (meta: SnapshotMeta, data: [UInt8])? {
        guard let newest = try names(in: directory).first else { return nil }
        let file = try readMeta(directory, newest)
        let statePath = "\(directory)/\(newest.name)/\(stateFile)"
        let compressed = try DurableFiles.read(statePath)
        guard UInt64(compressed.count) == file.stateBytes else {
            throw StorageError(path: statePath, message: "corrupt snapshot: \(compressed.count) bytes, meta.json says \(file.stateBytes) (truncated?)")
        }
        guard file.meta.size <= UInt64(Int.max) else {
            throw StorageError(path: statePath, message: "corrupt snapshot: size \(file.meta.size) in meta.json")
        }
        do {
            let data = try LZ4Frame.decompress(compressed, expectedSize: Int(file.meta.size))
            return (file.meta, data)
        } catch {
            throw StorageError(path: statePath, message: "corrupt snapshot: \(error)")
        }
    }

    /// Writes a snapshot durably (files fsynced, renamed into place, directory fsynced), then
    /// keeps only the newest `keep`. Returns the meta as stored (with `size` filled in).
    static func write(_ directory: String, meta: SnapshotMeta, data: [UInt8], millis: UInt64) throws(StorageError) -> SnapshotMeta {
        var name = SnapshotName(term: meta.term, index: meta.index, millis: millis)
        while Files.exists("\(directory)/\(name.name)") || Files.exists("\(directory)/\(name.name)\(temporarySuffix)") {
            name.millis += 1
        }
        let temporary = "\(directory)/\(name.name)\(temporarySuffix)"
        var stored = meta
        stored.size = UInt64(data.count)
        do throws(StorageError) {
            try DurableFiles.makeDirectory(temporary)
            let compressed: [UInt8]
            do {
                compressed = try LZ4Frame.compress(data)
            } catch {
                throw StorageError(path: "\(temporary)/\(stateFile)", message: "\(error)")
            }
            try DurableFiles.writeNew("\(temporary)/\(stateFile)", compressed)
            let metaFile = SnapshotMetaFile(meta: stored, stateBytes: UInt64(compressed.count))
            try DurableFiles.writeNew("\(temporary)/\(Self.metaFile)", metaFile.encoded())
            try DurableFiles.syncDirectory(temporary)
            try DurableFiles.rename(temporary, to: "\(directory)/\(name.name)")
            try DurableFiles.syncDirectory(directory)
        } catch {
            try? DurableFiles.removeFlatDirectory(temporary)
            throw error
        }
        try prune(directory)
        return stored
    }

    /// Deletes all but the newest `keep` snapshots, and leftovers of interrupted writes.
    /// A snapshot is first renamed to `*.tmp` (atomic), so a crash mid-delete leaves only
    /// something every reader ignores.
    static func prune(_ directory: String) throws(StorageError) {
        for old in try names(in: directory).dropFirst(keep) {
            let path = "\(directory)/\(old.name)"
            try DurableFiles.rename(path, to: path + temporarySuffix)
        }
        for entry in try DurableFiles.list(directory) where entry.hasSuffix(temporarySuffix) {
            try DurableFiles.removeFlatDirectory("\(directory)/\(entry)")
        }
    }

    static func wallClockMillis() -> UInt64 { UInt64(WallClock.nanoseconds / 1_000_000) }
}
