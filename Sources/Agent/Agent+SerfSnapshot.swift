import Gossip
import Platform

/// `<data-dir>/serf/local.snapshot`: the members we last saw alive and our Lamport clocks, in
/// serf's line format (`alive: <name> <ip:port>`, `clock: N`, `event-clock: N`,
/// `query-clock: N`, `leave`). Rewritten (already compacted) at most every 500 ms when
/// membership changed, off the loop thread. At start the clocks are restored and the agent
/// rejoins those members, unless its last act was a graceful leave (and `-rejoin` is not set).
extension Agent {
    static let serfSnapshotName = "local.snapshot"

    struct SerfSnapshot: Equatable {
        var alive: [(name: String, address: String)] = []
        var clock: UInt64 = 0
        var eventClock: UInt64 = 0
        var queryClock: UInt64 = 0
        var left = false

        static func == (a: SerfSnapshot, b: SerfSnapshot) -> Bool {
            a.alive.map { "\($0.name) \($0.address)" } == b.alive.map { "\($0.name) \($0.address)" }
                && a.clock == b.clock && a.eventClock == b.eventClock && a.queryClock == b.queryClock && a.left == b.left
        }

        /// Replays the journal: later lines win (`not-alive` removes, `leave` marks a graceful exit).
        static func parse(_ text: String) -> SerfSnapshot {
            var s = SerfSnapshot()
            var alive: [String: String] = [:]
            var order: [String] = []
            for raw in text.split(separator: "\n") {
                let line = trimmed(raw[...])
                if line.isEmpty || line.hasPrefix("#") { continue }
                if line == "leave" { s.left = true; continue }
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon]
                let value = trimmed(line[line.index(after: colon)...])
                switch key {
                case "alive":
                    let parts = value.split(separator: " ")
                    guard parts.count == 2 else { continue }
                    let name = String(parts[0])
                    if alive[name] == nil { order.append(name) }
                    alive[name] = String(parts[1])
                    s.left = false
                case "not-alive":
                    alive[value] = nil
                case "clock": s.clock = UInt64(value) ?? s.clock
                case "event-clock": s.eventClock = UInt64(value) ?? s.eventClock
                case "query-clock": s.queryClock = UInt64(value) ?? s.queryClock
                default: continue
                }
            }
            s.alive = order.compactMap { name in alive[name].map { (name, $0) } }
            return s
        }

        var text: String {
            var lines = ["# serf snapshot written by consul (Swift)"]
            for m in alive { lines.append("alive: \(m.name) \(m.address)") }
            lines += ["clock: \(clock)", "event-clock: \(eventClock)", "query-clock: \(queryClock)"]
            if left { lines.append("leave") }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// Restores clocks and returns the addresses to rejoin (empty after a graceful leave).
    func restoreSerfSnapshot() -> [String] {
        guard let records = environment.serfRecords, let lanPool,
              let bytes = (try? records.loadAll())?.first(where: { $0.name == Agent.serfSnapshotName })?.bytes else { return [] }
        let snapshot = SerfSnapshot.parse(String(decoding: bytes, as: UTF8.self))
        lanPool.serf.restoreClocks(member: snapshot.clock, event: snapshot.eventClock, query: snapshot.queryClock)
        if snapshot.left && !config.rejoinAfterLeave {
            logger.info("serf: Ignoring previous leave in snapshot")
            return []
        }
        return snapshot.alive.filter { $0.name != config.nodeName }.map(\.address)
    }

    func currentSerfSnapshot(left: Bool) -> SerfSnapshot? {
        guard let lanPool else { return nil }
        var s = SerfSnapshot()
        s.alive = lanPool.serf.members.filter { $0.status == .alive && $0.name != config.nodeName }
            .map { ($0.name, $0.address.description) }
        s.clock = lanPool.serf.memberClock
        s.eventClock = lanPool.serf.userEventClock
        s.queryClock = lanPool.serf.queryLamportClock
        s.left = left
        return s
    }

    /// Every 500 ms: write the snapshot if membership or clocks changed since the last write.
    func scheduleSerfSnapshotFlush() {
        guard environment.serfRecords != nil else { return }
        environment.clock.schedule(after: 500_000_000) { [weak self] in
            guard let self, !self.gossipLeft, !self.stopping else { return }
            self.writeSerfSnapshot(left: false) { [logger = self.logger] ok in
                if !ok { logger.warn("failed to write the serf snapshot; will retry") }
            }
            self.scheduleSerfSnapshotFlush()
        }
    }

    func writeSerfSnapshot(left: Bool, completion: @escaping (Bool) -> Void) {
        guard let records = environment.serfRecords, let snapshot = currentSerfSnapshot(left: left) else { return completion(true) }
        guard snapshot != lastSerfSnapshot else { return completion(true) }
        lastSerfSnapshot = snapshot
        records.put(Agent.serfSnapshotName, Array(snapshot.text.utf8), completion: completion)
    }
}

/// Drops leading and trailing spaces, tabs and carriage returns.
private func trimmed(_ s: Substring) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(s[first...last])
}
