import Metrics
import Raft

/// hashicorp/raft's per-follower replication metrics, measured by the leader's driver:
/// `raft.replication.appendEntries.rpc` (send to acknowledgement, entries carried),
/// `raft.replication.heartbeat` (the same for empty AppendEntries) and
/// `raft.replication.appendEntries.logs` (entries sent), each labelled `peer_id`.
/// AppendEntries are pipelined, so an acknowledgement of match index M completes every request
/// in flight ending at or below M; a rejection (back-tracking) abandons that follower's timings.
final class ReplicationTimings {
    private struct InFlight {
        let lastIndex: UInt64
        let sentAt: UInt64
        let heartbeat: Bool
    }

    private struct PeerMetrics {
        let rpc, heartbeat, logs: Metric
    }

    /// Requests remembered per follower; beyond it (a follower that stopped answering) the oldest go.
    static let maxInFlight = 256

    private let registry: MetricsRegistry
    private var peers: [ServerID: PeerMetrics] = [:]
    private var inFlight: [ServerID: [InFlight]] = [:]

    init(registry: MetricsRegistry) { self.registry = registry }

    func sent(_ message: Message, at now: UInt64) {
        guard case .appendEntries(let prevIndex, _, let entries, _, _) = message.body else { return }
        let metrics = peerMetrics(message.to)
        if !entries.isEmpty { metrics.logs.increment(by: Double(entries.count)) }
        var queue = inFlight[message.to, default: []]
        if queue.count >= Self.maxInFlight { queue.removeFirst(queue.count - Self.maxInFlight + 1) }
        queue.append(InFlight(lastIndex: prevIndex + UInt64(entries.count), sentAt: now, heartbeat: entries.isEmpty))
        inFlight[message.to] = queue
    }

    func received(_ message: Message, at now: UInt64) {
        guard case .appendEntriesResponse(let success, let matchIndex, _, _, _) = message.body,
              let queue = inFlight[message.from], !queue.isEmpty else { return }
        guard success else { inFlight[message.from] = []; return }
        let done = queue.prefix { $0.lastIndex <= matchIndex }
        guard !done.isEmpty else { return }
        let metrics = peerMetrics(message.from)
        for request in done {
            (request.heartbeat ? metrics.heartbeat : metrics.rpc).observe(nanoseconds: now &- request.sentAt)
        }
        inFlight[message.from] = Array(queue.dropFirst(done.count))
    }

    /// A new term or lost leadership: nothing in flight will be answered to this leader.
    func reset() { inFlight.removeAll() }

    private func peerMetrics(_ peer: ServerID) -> PeerMetrics {
        if let known = peers[peer] { return known }
        let labels = [("peer_id", peer)]
        let made = PeerMetrics(
            rpc: registry.sample("raft.replication.appendEntries.rpc", labels: labels,
                                 help: "Measures the time taken by the append entries RPC to replicate the log entries of a leader agent onto its follower agent(s)."),
            heartbeat: registry.sample("raft.replication.heartbeat", labels: labels,
                                       help: "Measures the time taken to invoke appendEntries on a peer, so that it doesn't timeout on a periodic basis."),
            logs: registry.counter("raft.replication.appendEntries.logs", labels: labels,
                                   help: "Counts the number of logs replicated to an agent to bring it up to speed with the leader's logs."))
        peers[peer] = made
        return made
    }
}
