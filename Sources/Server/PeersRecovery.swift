import Platform

/// `raft/peers.json` manual recovery (agent.md §4): the recovered snapshot is saved and the old
/// log dropped before Raft runs or the server RPC listens; only then is the file deleted, so a
/// crash half-way repeats the recovery at the next start.
extension ConsulServer {
    func startAfterPeersRecovery(_ recovery: RaftNodeRecovery.PeersRecovery) throws {
        guard let snapshots = host.snapshotStore, let storage = host.raftStorage else {
            throw RecoveryFailed(description: "raft/peers.json needs a data directory")
        }
        for (id, address) in recoveredPeerAddresses { serverAddresses[id] = address }
        for index in recovery.undecodable {
            log.error("raft/peers.json recovery: committed command does not decode; skipped", [("index", String(index))])
        }
        log.info("found raft/peers.json: recovering the Raft configuration",
                    [("voters", raftNode.raft.configuration.voters.sorted().joined(separator: ",")),
                     ("index", String(recovery.meta.index))])
        snapshots.save(recovery.meta, data: recovery.data) { [weak self] saved in
            guard let self else { return }
            if case .failure(let error) = saved { return self.recoveryFailed("saving the recovery snapshot: \(error)") }
            storage.compact(through: recovery.compactThrough) { [weak self] compacted in
                guard let self else { return }
                if case .failure(let error) = compacted { return self.recoveryFailed("dropping the old log: \(error)") }
                self.host.removePeersJSON()
                self.peersRecovery = nil
                self.log.info("deleted raft/peers.json after a successful recovery")
                self.raftNode.start()
                do { try self.startServerRPC() } catch { return self.recoveryFailed("\(error)") }
                self.scheduleSessionSweep()
            }
        }
    }

    private func recoveryFailed(_ message: String) {
        log.error("raft/peers.json recovery failed; Raft is not started", [("error", message)])
    }

    struct RecoveryFailed: Error, CustomStringConvertible {
        let description: String
    }
}
