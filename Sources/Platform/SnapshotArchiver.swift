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

    /// `state.lz4` holds one LZ4 frame per piece of the state of about this many bytes (a piece
    /// ends at the first record boundary past it), so frames compress and inflate in parallel.
    public static let statePieceBytes = 8 << 20

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
    /// The archive of the state `encodeState` hands over in pieces (it runs off the loop, so
    /// it must encode a copy the loop no longer changes); `meta.size` is set from them.
    func pack(_ meta: SnapshotArchiveMeta, encodeState: @escaping (_ emit: @escaping ([UInt8]) -> Void) -> Void,
              completion: @escaping (Result<[UInt8], SnapshotArchiveError>) -> Void)
    /// Verifies the whole archive before anything is decided: tar structure, checksums, the
    /// metadata, the compressed frames, then `check` on the decompressed state (nil when it
    /// decodes; it runs off the loop and must touch nothing the loop owns).
    func unpack(_ archive: [UInt8], check: @escaping ([UInt8]) -> String?,
                completion: @escaping (Result<UnpackedSnapshot, SnapshotArchiveError>) -> Void)
    func inflate(_ compressed: [UInt8], size: UInt64) -> Result<[UInt8], SnapshotArchiveError>
}
