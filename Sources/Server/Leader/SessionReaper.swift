import ConsulState
import Platform

/// The leader's session duty (http-api.md §7.2): destroy sessions whose TTL ran out — not
/// renewed within twice their TTL. A server that just became leader restarts every TTL clock.
extension ConsulServer {
    static let sessionSweepNanos: UInt64 = 500_000_000

    func scheduleSessionSweep() {
        host.clock.schedule(after: ConsulServer.sessionSweepNanos) { [weak self] in
            guard let self, !self.stopping else { return }
            self.sweepSessions()
            self.scheduleSessionSweep()
        }
    }

    func sweepSessions() {
        let leading = raftNode.raft.role == .leader
        defer { sessionSweepWasLeader = leading }
        guard leading else { return }
        let store = backend.store
        if !sessionSweepWasLeader { store.resetSessionTimers() }
        for id in store.expiredSessions() where !sessionDestroysInFlight.contains(id) {
            log.debug("session TTL expired; destroying", [("session", id)])
            sessionDestroysInFlight.insert(id)
            backend.apply(.sessionDestroy(id: id)) { [weak self] result in
                self?.sessionDestroysInFlight.remove(id)
                if case .failure(let error) = result {
                    self?.log.warn("destroying an expired session failed; the next sweep retries", [("session", id), ("error", error.message)])
                }
            }
        }
    }
}
