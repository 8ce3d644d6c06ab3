import ConsulState
import HTTPAPI
import Platform

/// `/v1/snapshot` on a server (docs/snapshot.md): an archive of the replicated state as this
/// server has applied it, and a restore that is verified whole before the leader commits it
/// through Raft, so every server — one that is down now included — ends with the same state.
extension ConsulServer {
    /// The largest compressed state a restore may carry: it travels as one Raft entry inside
    /// one server-RPC frame (64 MiB).
    static let restoreStateBytesMax = 60 << 20

    public func saveSnapshot(completion: @escaping (Result<(index: UInt64, archive: [UInt8]), HTTPResponseError>) -> Void) {
        guard let archiver = host.archiver else { return completion(.failure(HTTPResponseError(500, "snapshots are not available on this server"))) }
        let store = raftNode.store
        let index = store.index
        let term = raftNode.raft.term(at: index) ?? raftNode.raft.term
        // The tables as they are now; encoded, compressed and hashed on the pool while the loop
        // goes on changing its own (copy-on-write) tables.
        let image = store.image()
        let servers = raftConfiguration().servers.map { SnapshotArchiveMeta.Server(id: $0.id, address: $0.address, voter: $0.voter) }
        let meta = SnapshotArchiveMeta(index: index, term: term, createdMillis: host.clock.wallClockNanoseconds / 1_000_000,
                                       stateFormat: Int(StateStore.snapshotVersion), size: 0, servers: servers)
        archiver.pack(meta, encodeState: { emit in image.encode(chunkBytes: SnapshotArchiveMeta.statePieceBytes, emit: emit) }) { result in
            switch result {
            case .success(let archive): completion(.success((index, archive)))
            case .failure(let error): completion(.failure(HTTPResponseError(500, "failed to create snapshot: \(error)")))
            }
        }
    }

    /// Verifies `archive` (off the loop), then commits the restore through Raft; completes once
    /// it applied here. A bad archive is a 400 naming the problem, and nothing changes.
    public func restoreSnapshot(_ archive: [UInt8], completion: @escaping (HTTPResponseError?) -> Void) {
        guard let archiver = host.archiver else { return completion(HTTPResponseError(500, "snapshots are not available on this server")) }
        let check: ([UInt8]) -> String? = { state in
            do throws(DecodeError) { try StateStore.validateSnapshot(state) } catch { return error.message }
            return nil
        }
        archiver.unpack(archive, check: check) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error):
                completion(HTTPResponseError(400, "snapshot archive refused: \(error)"))
            case .success(let unpacked):
                guard StateStore.snapshotVersions.contains(unpacked.meta.stateFormat) else {
                    return completion(HTTPResponseError(400, "snapshot archive refused: unknown state format \(unpacked.meta.stateFormat)"))
                }
                guard unpacked.compressedState.count <= ConsulServer.restoreStateBytesMax else {
                    return completion(HTTPResponseError(400, "snapshot archive refused: state.lz4 is \(unpacked.compressedState.count) bytes, "
                                                        + "more than the \(ConsulServer.restoreStateBytesMax) a restore can carry"))
                }
                let id = unpacked.meta.id
                self.log.info("snapshot: restoring", [("id", id), ("index", String(unpacked.meta.index))])
                // Only the command holds the compressed state from here (the closure keeps the ID).
                let command = Command.restoreState(compressed: unpacked.compressedState, size: unpacked.meta.size)
                self.backend.apply(command) { [weak self] result in
                    switch result {
                    case .success(.bool(true)):
                        self?.log.info("snapshot: restored", [("id", id)])
                        completion(nil)
                    case .success(.failure(let reason)): completion(HTTPResponseError(500, reason))
                    case .success: completion(HTTPResponseError(500, "snapshot restore: unexpected result"))
                    case .failure(let error): completion(HTTPResponseError(500, error.message))
                    }
                }
            }
        }
    }
}
