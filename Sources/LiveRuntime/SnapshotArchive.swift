import ConsulAPI
import Platform
import Wire

/// The snapshot archive (docs/snapshot.md): a plain tar of `meta.json`, `state.lz4` (the state
/// store's snapshot bytes as LZ4 frames of up to 8 MiB, each with a content checksum) and
/// `SHA256SUMS` over both.
/// `build` writes it; `open` verifies every layer before returning anything.
public enum SnapshotArchive {
    public static let metaName = "meta.json"
    public static let stateName = "state.lz4"
    public static let sumsName = "SHA256SUMS"

    /// LZ4 HC level 3 for archives: about 31 % of the state's size where the fast mode leaves
    /// 42 % (docs/snapshot.md), for several times the CPU — spent on every thread, and only
    /// when someone asks for a backup. Reading is as fast either way.
    static let compressionLevel: Int32 = 3

    /// The archive of `state` (uncompressed state-store bytes) described by `meta`.
    public static func build(_ meta: SnapshotArchiveMeta, state: [UInt8], modifiedSeconds: UInt64) throws(SnapshotArchiveError) -> [UInt8] {
        var meta = meta
        meta.size = UInt64(state.count)
        let frames: [[UInt8]]
        do { frames = try LZ4Chunks.compressFrames(state, level: compressionLevel) } catch {
            throw SnapshotArchiveError("compressing the state: \(error)")
        }
        return assemble(meta, frames: frames, modifiedSeconds: modifiedSeconds)
    }

    /// The archive of the state that `encodeState` hands over in pieces (see
    /// `StateImage.encode`): pieces are compressed while later ones are encoded; `meta.size`
    /// becomes the total.
    public static func build(_ meta: SnapshotArchiveMeta, modifiedSeconds: UInt64,
                             encodeState: (_ emit: @escaping ([UInt8]) -> Void) -> Void) throws(SnapshotArchiveError) -> [UInt8] {
        var total = 0
        let frames: [[UInt8]]
        let stateHash = SHA256Stream()
        do {
            frames = try LZ4Chunks.compressFrames(level: compressionLevel, inOrder: stateHash.update) { emit in
                encodeState { piece in
                    total += piece.count
                    emit(piece)
                }
            }
        } catch { throw SnapshotArchiveError("compressing the state: \(error)") }
        var meta = meta
        meta.size = UInt64(total)
        return assemble(meta, frames: frames, stateHex: stateHash.finalHex(), modifiedSeconds: modifiedSeconds)
    }

    /// The archive around state that is already compressed (LZ4 frames, one after another).
    public static func assemble(_ meta: SnapshotArchiveMeta, compressed: [UInt8], modifiedSeconds: UInt64) -> [UInt8] {
        assemble(meta, frames: [compressed], modifiedSeconds: modifiedSeconds)
    }

    /// Writes the frames straight into the archive (one copy of the compressed state).
    /// `stateHex`: the frames' SHA-256, when already computed.
    static func assemble(_ meta: SnapshotArchiveMeta, frames: [[UInt8]], stateHex: String? = nil, modifiedSeconds: UInt64) -> [UInt8] {
        let metaJSON = encodeMeta(meta)
        let stateBytes = frames.reduce(0) { $0 + $1.count }
        let stateHex = stateHex ?? SHA256Digest.hex(parts: frames)
        let sums = Array("\(SHA256Digest.hex(metaJSON))  \(metaName)\n\(stateHex)  \(stateName)\n".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(stateBytes + metaJSON.count + sums.count + 8 * Tar.blockBytes)
        out += Tar.file(name: metaName, data: metaJSON, modifiedSeconds: modifiedSeconds)
        out += Tar.header(name: stateName, size: stateBytes, modifiedSeconds: modifiedSeconds)
        for frame in frames { out += frame }
        out += Tar.padding(after: stateBytes)
        out += Tar.file(name: sumsName, data: sums, modifiedSeconds: modifiedSeconds)
        out += Tar.endOfArchive
        return out
    }

    /// Verifies the tar structure, the entry names, SHA256SUMS and the metadata; the state stays
    /// compressed (see `inflate`).
    public static func open(_ archive: [UInt8]) throws(SnapshotArchiveError) -> UnpackedSnapshot {
        let files = try entries(archive)
        try checkSums(files.sums, [metaName: files.meta, stateName: files.state])
        return UnpackedSnapshot(meta: try decodeMeta(files.meta), compressedState: files.state)
    }

    /// Everything `open` checks plus every frame of the state (checksums, total size), with
    /// the hashing and the frames checked on two threads: what `consul snapshot save` verifies.
    public static func verify(_ archive: [UInt8]) throws(SnapshotArchiveError) -> SnapshotArchiveMeta {
        let files = try entries(archive)
        var sums: Result<Void, SnapshotArchiveError> = .success(())
        let hashing = { sums = Result { () throws(SnapshotArchiveError) in try checkSums(files.sums, [metaName: files.meta, stateName: files.state]) } }
        let helper = JoinableThread.start(hashing)
        let frames = Result { () throws(SnapshotArchiveError) -> SnapshotArchiveMeta in
            let meta = try decodeMeta(files.meta)
            try verifyState(files.state, size: meta.size)
            return meta
        }
        if let helper { helper.join() } else { hashing() }
        try sums.get()
        return try frames.get()
    }

    /// The three files of an archive, after the tar structure and names are checked.
    private static func entries(_ archive: [UInt8]) throws(SnapshotArchiveError) -> (meta: [UInt8], state: [UInt8], sums: [UInt8]) {
        if archive.isEmpty { throw SnapshotArchiveError("snapshot archive is empty") }
        if archive.count >= 2, archive[0] == 0x1F, archive[1] == 0x8B {
            throw SnapshotArchiveError("snapshot archive is gzip-compressed (a HashiCorp Consul snapshot?); "
                                       + "this agent reads its own tar archives (meta.json, state.lz4, SHA256SUMS)")
        }
        let entries: [Tar.Entry]
        do { entries = try Tar.entries(archive) } catch { throw SnapshotArchiveError("snapshot archive is not a valid tar: \(error)") }
        var files: [String: Range<Int>] = [:]
        for entry in entries {
            guard [metaName, stateName, sumsName].contains(entry.name) else {
                throw SnapshotArchiveError("unexpected file \"\(entry.name)\" in snapshot archive")
            }
            guard files[entry.name] == nil else { throw SnapshotArchiveError("\"\(entry.name)\" appears twice in snapshot archive") }
            files[entry.name] = entry.data
        }
        for name in [metaName, stateName, sumsName] where files[name] == nil {
            throw SnapshotArchiveError("file missing for \"\(name)\" in snapshot archive")
        }
        return (Array(archive[files[metaName]!]), Array(archive[files[stateName]!]), Array(archive[files[sumsName]!]))
    }

    /// The state bytes of a verified archive; the frame's own checksum and the recorded size
    /// are checked as it decompresses.
    public static func inflate(_ compressed: [UInt8], size: UInt64) throws(SnapshotArchiveError) -> [UInt8] {
        guard size <= UInt64(Int.max) else { throw SnapshotArchiveError("state size \(size) is impossible") }
        do { return try LZ4Chunks.decompress(compressed, expectedSize: Int(size)) } catch {
            throw SnapshotArchiveError("state.lz4 does not decompress: \(error)")
        }
    }

    /// Checks the compressed state's frames (checksums, total size) without keeping it inflated.
    public static func verifyState(_ compressed: [UInt8], size: UInt64) throws(SnapshotArchiveError) {
        guard size <= UInt64(Int.max) else { throw SnapshotArchiveError("state size \(size) is impossible") }
        do { try LZ4Chunks.verify(compressed, expectedSize: Int(size)) } catch {
            throw SnapshotArchiveError("state.lz4 does not decompress: \(error)")
        }
    }

    // MARK: SHA256SUMS

    private static func checkSums(_ sums: [UInt8], _ files: [String: [UInt8]]) throws(SnapshotArchiveError) {
        guard let text = String(validating: sums, as: UTF8.self) else { throw SnapshotArchiveError("SHA256SUMS is not text") }
        var listed: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix(" ") else { throw SnapshotArchiveError("SHA256SUMS line is malformed: \(line)") }
            let name = String(parts[1].dropFirst())
            guard files[name] != nil else { throw SnapshotArchiveError("SHA256SUMS lists unknown file \"\(name)\"") }
            listed[name] = String(parts[0]).lowercased()
        }
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) {
            guard let want = listed[name] else { throw SnapshotArchiveError("list missing hash for \"\(name)\"") }
            guard want == SHA256Digest.hex(bytes) else { throw SnapshotArchiveError("hash check failed for \"\(name)\"") }
        }
    }

    // MARK: meta.json

    static func encodeMeta(_ meta: SnapshotArchiveMeta) -> [UInt8] {
        var json = JSONWriter(pretty: false, reserve: 256)
        json.beginObject()
        json.field("Version", meta.version)
        json.field("ID", meta.id)
        json.field("Index", meta.index)
        json.field("Term", meta.term)
        json.key("Configuration")
        json.beginObject()
        json.key("Servers")
        json.beginArray()
        for server in meta.servers {
            json.beginObject()
            json.field("Suffrage", server.voter ? 0 : 1)
            json.field("ID", server.id)
            json.field("Address", server.address)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        json.field("StateFormat", meta.stateFormat)
        json.field("Size", meta.size)
        json.endObject()
        return json.bytes + [0x0A]
    }

    static func decodeMeta(_ bytes: [UInt8]) throws(SnapshotArchiveError) -> SnapshotArchiveMeta {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw SnapshotArchiveError("meta.json is not JSON: \(error)") }
        guard let version = json["Version"]?.int64Value else { throw SnapshotArchiveError("meta.json has no Version") }
        guard version == Int64(SnapshotArchiveMeta.currentVersion) else {
            throw SnapshotArchiveError("unsupported snapshot version \(version)")
        }
        guard let id = json["ID"]?.stringValue, let index = json["Index"]?.uint64Value, let term = json["Term"]?.uint64Value,
              let format = json["StateFormat"]?.int64Value, let size = json["Size"]?.uint64Value else {
            throw SnapshotArchiveError("meta.json lacks ID, Index, Term, StateFormat or Size")
        }
        var servers: [SnapshotArchiveMeta.Server] = []
        for s in json["Configuration"]?["Servers"]?.arrayValue ?? [] {
            guard let sid = s["ID"]?.stringValue, let address = s["Address"]?.stringValue else {
                throw SnapshotArchiveError("meta.json has a server without ID or Address")
            }
            servers.append(.init(id: sid, address: address, voter: (s["Suffrage"]?.int64Value ?? 0) == 0))
        }
        var meta = SnapshotArchiveMeta(index: index, term: term, createdMillis: 0, stateFormat: Int(format), size: size, servers: servers)
        meta.id = id
        return meta
    }
}
