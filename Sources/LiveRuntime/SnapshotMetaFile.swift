import ConsulAPI
import Platform
import Wire

/// `meta.json` of one snapshot directory: a flat JSON object with the Raft index and term, the
/// configuration (base64), the uncompressed size and the length of `state.lz4`.
struct SnapshotMetaFile: Equatable {
    var meta: SnapshotMeta
    /// Bytes in `state.lz4`; lets a truncated file be reported as such before decompressing.
    var stateBytes: UInt64

    func encoded() -> [UInt8] {
        let json = "{\"index\":\(meta.index),\"term\":\(meta.term),\"size\":\(meta.size),"
            + "\"stateBytes\":\(stateBytes),\"configuration\":\"\(Base64.encode(meta.configuration))\"}\n"
        return Array(json.utf8)
    }

    /// Parses what `encoded` wrote; anything else is an error naming `path`.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> SnapshotMetaFile {
        func corrupt(_ problem: String) -> StorageError {
            StorageError(path: path, message: "corrupt snapshot metadata: \(problem)")
        }
        let fields: JSONValue
        do { fields = try JSONParser.parse(bytes) } catch { throw corrupt("not a JSON object (\(error))") }
        guard fields.objectValue != nil else { throw corrupt("not a JSON object") }
        guard let index = fields["index"]?.uint64Value, let term = fields["term"]?.uint64Value,
              let size = fields["size"]?.uint64Value, let stateBytes = fields["stateBytes"]?.uint64Value else {
            throw corrupt("missing index, term, size or stateBytes")
        }
        guard let encoded = fields["configuration"]?.stringValue, let configuration = Base64.decode(encoded) else {
            throw corrupt("missing or invalid base64 configuration")
        }
        return SnapshotMetaFile(meta: SnapshotMeta(index: index, term: term, configuration: configuration, size: size),
                                stateBytes: stateBytes)
    }
}
