/// What `meta.json` of a snapshot archive records (docs/snapshot.md).
public struct SnapshotArchiveMeta: Equatable, Sendable {
    public struct Server: Equatable, Sendable {
        public var id: String
        public var address: String
        public var voter: Bool
        public init(id: String, address: String, voter: Bool) {
            self.id = id
            self.address = address
            self.voter = voter
        }
    }

    /// The archive layout's version (1).
    public static let currentVersion = 1

    /// `<term>-<index>-<unix milliseconds>`, as Consul names snapshots.
    public var id: String
    public var index: UInt64
    public var term: UInt64
    public var version: Int
    /// The state store's snapshot format inside `state.lz4`.
    public var stateFormat: Int
    /// Bytes of the state once decompressed.
    public var size: UInt64
    /// The Raft configuration at `index`.
    public var servers: [Server]

    public init(index: UInt64, term: UInt64, createdMillis: Int64, stateFormat: Int, size: UInt64, servers: [Server]) {
        self.id = "\(term)-\(index)-\(createdMillis)"
        self.index = index
        self.term = term
        self.version = SnapshotArchiveMeta.currentVersion
        self.stateFormat = stateFormat
        self.size = size
        self.servers = servers
    }
}

/// Why an archive could not be made or was refused; the message names what is wrong.
public struct SnapshotArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A verified archive: its metadata and the still-compressed state (what a restore replicates).
public struct UnpackedSnapshot: Sendable {
    public var meta: SnapshotArchiveMeta
    public var compressedState: [UInt8]
    public init(meta: SnapshotArchiveMeta, compressedState: [UInt8]) {
        self.meta = meta
        self.compressedState = compressedState
    }
}

/// Packs and unpacks snapshot archives. `pack` and `unpack` do their work (compression,
/// checksums, decoding) off the loop and complete on it; `inflate` is synchronous, for the
/// state machine applying a replicated restore.
public protocol SnapshotArchiver: AnyObject {
    func pack(_ meta: SnapshotArchiveMeta, state: [UInt8], completion: @escaping (Result<[UInt8], SnapshotArchiveError>) -> Void)
    /// Verifies the whole archive before anything is decided: tar structure, checksums, the
    /// metadata, the compressed frames, then `check` on the decompressed state (nil when it
    /// decodes; it runs off the loop and must touch nothing the loop owns).
    func unpack(_ archive: [UInt8], check: @escaping ([UInt8]) -> String?,
                completion: @escaping (Result<UnpackedSnapshot, SnapshotArchiveError>) -> Void)
    func inflate(_ compressed: [UInt8], size: UInt64) -> Result<[UInt8], SnapshotArchiveError>
}
