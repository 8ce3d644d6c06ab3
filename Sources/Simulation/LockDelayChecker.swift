/// Lock-delay, checked on what every server applies: after a session that held `key` is
/// invalidated, nobody may acquire `key` for that session's lock-delay. Consul judges it on the
/// leader's clock before proposing, so the window binds acquisitions proposed by a leader that
/// had already applied the loss: such a proposal must come at least `delay` after the first
/// server applied the loss. (One proposed before the loss was applied, while the old holder
/// still held the key, is not held to it — in Consul neither.) The window lives in memory only
/// (as in Consul), so a loss followed by any server restart is not held to it.
final class LockDelayChecker {
    let key: String
    /// Each session's lock-delay, as the workload created it.
    var delays: [String: UInt64] = [:]
    /// The last time any server restarted.
    var lastRestart: UInt64 = 0
    private(set) var failure: String?
    /// Acquisitions that followed a loss and were held to its window.
    private(set) var acquisitionsChecked = 0

    private var holder: [String: String] = [:]
    /// Per server: the log index at which the holder last lost the key.
    private var lastLoss: [String: UInt64] = [:]
    /// Per loss index: when a server first applied it, and the lost session's lock-delay.
    private var lossFirstApplied: [UInt64: (time: UInt64, delay: UInt64)] = [:]
    /// Per proposed entry (index, term): when, and how far its proposer had applied.
    private var proposals: [Key: (time: UInt64, applied: UInt64)] = [:]
    private struct Key: Hashable { var index: UInt64, term: UInt64 }

    init(key: String) { self.key = key }

    /// A server (re)started with `current` holding the key in its restored state.
    func started(_ server: String, holder current: String) {
        holder[server] = current
        lastLoss[server] = nil
    }

    /// A leader proposed the entry at (index, term) at `now`, having applied through `applied`.
    func proposed(index: UInt64, term: UInt64, applied: UInt64, now: UInt64) {
        proposals[Key(index: index, term: term)] = (now, applied)
    }

    /// `server` applied entry (index, term) at `now`; `current` holds the key afterwards ("" for nobody).
    func applied(index: UInt64, term: UInt64, on server: String, holder current: String, now: UInt64) {
        let previous = holder[server] ?? ""
        guard previous != current else { return }
        holder[server] = current
        if !previous.isEmpty {
            let delay = delays[previous] ?? 0
            if let seen = lossFirstApplied[index] {
                lossFirstApplied[index] = (min(seen.time, now), seen.delay)
            } else {
                lossFirstApplied[index] = (now, delay)
            }
            lastLoss[server] = index
        }
        guard !current.isEmpty, let lossIndex = lastLoss[server], let loss = lossFirstApplied[lossIndex],
              loss.time > lastRestart, loss.delay > 0,
              let proposal = proposals[Key(index: index, term: term)], proposal.applied >= lossIndex else { return }
        acquisitionsChecked += 1
        if proposal.time < loss.time + loss.delay, failure == nil {
            failure = "lock-delay: the acquisition of \(key) by session \(current) at index \(index) was proposed "
                + "\((proposal.time - loss.time) / 1_000_000) ms after the previous holder lost it at index \(lossIndex), "
                + "inside its \(loss.delay / 1_000_000) ms lock-delay"
        }
    }
}
