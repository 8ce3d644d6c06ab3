@testable import Raft

struct ScriptError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// N Raft cores wired to nothing: the script is the network (it delivers or drops each
/// message), the disk (it persists each Ready, or crashes before) and the clock (it ticks).
/// Commands are in `InteractionCommands.swift`; this file holds the state and the mechanics.
final class InteractionHarness {
    /// What a node made durable: exactly what a restart may rebuild from.
    struct Storage {
        var hardState = HardState()
        var snapshot: Snapshot?
        var entries: [Entry] = []
        var lastIndex: UInt64 { entries.last?.index ?? snapshot?.index ?? 0 }
    }

    /// The test FSM: applied commands in order; its snapshot is the commands joined by ",".
    struct StateMachine {
        var applied: UInt64 = 0
        var commands: [String] = []
        var configuration = Configuration()

        init() {}
        init(restoring s: Snapshot) {
            applied = s.index
            commands = s.data.isEmpty ? [] : Describe.text(s.data).split(separator: ",").map(String.init)
            configuration = s.configuration
        }
        var snapshotData: [UInt8] { Array(commands.joined(separator: ",").utf8) }
    }

    final class Node {
        let id: ServerID
        let config: RaftConfig
        /// Founding configuration (nil for a node that joins later with an empty log).
        let bootstrap: Configuration?
        var raft: Raft
        var storage = Storage()
        var fsm = StateMachine()
        /// Readys handed out with `persist=false`, oldest first, not yet durable.
        var unpersisted: [Ready] = []
        var readStates: [ReadState] = []
        var down = false

        init(config: RaftConfig, bootstrap: Configuration?) {
            id = config.id
            self.config = config
            self.bootstrap = bootstrap
            raft = Raft(config: config, bootstrap: bootstrap)
        }

        /// Rebuilds the core and the FSM from storage only: everything not persisted is lost.
        func restart() {
            raft = Raft(config: config, hardState: storage.hardState, snapshot: storage.snapshot,
                        entries: storage.entries, bootstrap: bootstrap)
            fsm = storage.snapshot.map(StateMachine.init(restoring:)) ?? StateMachine()
            unpersisted = []
            readStates = []
            down = false
        }
    }

    var nodes: [ServerID: Node] = [:]
    /// Messages sent and not yet delivered or dropped, in send order.
    var network: [Message] = []
    /// Partition group of each node; empty when the network is whole.
    var partitionGroup: [ServerID: Int] = [:]
    /// Every entry any node applied, by index: two different entries at one index is a safety violation.
    var appliedAnywhere: [UInt64: Entry] = [:]
    /// Options of the last `add-nodes`, inherited by later ones.
    var nodeOptions: [String: String] = [:]

    var ids: [ServerID] { nodes.keys.sorted(by: Describe.idOrder) }

    func node(_ id: String) throws -> Node {
        guard let n = nodes[id] else { throw ScriptError("no node \(id)") }
        return n
    }

    func upNode(_ id: String) throws -> Node {
        let n = try node(id)
        guard !n.down else { throw ScriptError("node \(id) is down") }
        return n
    }

    // MARK: Ready handling

    /// Takes the node's Ready and handles it as a driver would: sends `messages`; then (when
    /// `persist`) writes hard state, snapshot and entries, calls `persisted`, sends
    /// `messagesAfterPersist` and applies `committedEntries`. Earlier `persist=false` Readys
    /// are completed first, because storage is written in order.
    func processReady(_ n: Node, persist: Bool) -> [String] {
        var out: [String] = []
        if persist { out += completePending(n) }
        guard n.raft.hasReady else { return out.isEmpty ? ["no ready"] : out }
        let rd = n.raft.ready()
        if let ss = rd.softState { out.append("soft: " + Describe.soft(ss)) }
        if let hs = rd.hardState { out.append("hard: " + Describe.hard(hs)) }
        if let snap = rd.snapshot { out.append("snapshot: " + Describe.snapshot(snap)) }
        if !rd.entries.isEmpty { out.append("entries: " + Describe.entries(rd.entries)) }
        for m in rd.messages {
            out.append("send: " + Describe.message(m))
            network.append(m)
        }
        for r in rd.readStates {
            out.append("read-state: id=\(r.requestID) index=\(r.index)")
            n.readStates.append(r)
        }
        if persist {
            out += complete(n, rd)
        } else {
            n.unpersisted.append(rd)
            if rd.needsPersist || !rd.messagesAfterPersist.isEmpty || !rd.committedEntries.isEmpty {
                out.append("(not persisted yet)")
            }
        }
        return out
    }

    func completePending(_ n: Node) -> [String] {
        var out: [String] = []
        let pending = n.unpersisted
        n.unpersisted = []
        for rd in pending { out += complete(n, rd) }
        return out
    }

    /// The second half of handling a Ready: make it durable, then what may follow durability.
    private func complete(_ n: Node, _ rd: Ready) -> [String] {
        var out: [String] = []
        if rd.needsPersist { out += write(n, rd) }
        n.raft.persisted(rd)
        for m in rd.messagesAfterPersist {
            out.append("send-after-persist: " + Describe.message(m))
            network.append(m)
        }
        if let snap = rd.snapshot { n.fsm = StateMachine(restoring: snap) }
        if !rd.committedEntries.isEmpty { out.append("apply: " + Describe.entries(rd.committedEntries)) }
        for e in rd.committedEntries { out += apply(n, e) }
        return out
    }

    private func write(_ n: Node, _ rd: Ready) -> [String] {
        var out: [String] = []
        if let hs = rd.hardState { n.storage.hardState = hs }
        if let snap = rd.snapshot {
            // An installed snapshot replaces the whole log.
            n.storage.snapshot = snap
            n.storage.entries = []
        }
        if let first = rd.entries.first {
            n.storage.entries.removeAll { $0.index >= first.index }
            if first.index != n.storage.lastIndex + 1 {
                out.append("ANOMALY: entries start at \(first.index) but storage ends at \(n.storage.lastIndex)")
            }
            n.storage.entries += rd.entries
        }
        return out
    }

    private func apply(_ n: Node, _ e: Entry) -> [String] {
        var out: [String] = []
        if e.index != n.fsm.applied + 1 {
            out.append("ANOMALY: applying \(e.index) after \(n.fsm.applied)")
        }
        if let other = appliedAnywhere[e.index], other != e {
            out.append("SAFETY VIOLATION: \(n.id) applied \(Describe.entry(e)), another node applied \(Describe.entry(other))")
        }
        appliedAnywhere[e.index] = e
        switch e.kind {
        case .command: n.fsm.commands.append(Describe.text(e.data))
        case .configuration: if let c = Configuration(encoded: e.data) { n.fsm.configuration = c }
        case .noop: break
        }
        n.fsm.applied = e.index
        return out
    }

    // MARK: Network

    func partitioned(_ a: ServerID, _ b: ServerID) -> Bool {
        guard !partitionGroup.isEmpty else { return false }
        return partitionGroup[a] != partitionGroup[b]
    }

    /// Steps one message into its recipient, unless the recipient is down or cut off.
    func deliver(_ m: Message) -> String {
        let text = Describe.message(m)
        guard let n = nodes[m.to] else { return "dropped (no such node): " + text }
        if n.down { return "dropped (down): " + text }
        if partitioned(m.from, m.to) { return "dropped (partition): " + text }
        n.raft.step(m)
        return text
    }

    /// Repeats "handle every Ready, deliver every message" among `targets` until nothing moves.
    func stabilize(_ targets: [ServerID]) throws -> [String] {
        var out: [String] = []
        for round in 1... {
            guard round <= 500 else { throw ScriptError("stabilize did not settle in 500 rounds") }
            var moved = false
            for id in targets {
                guard let n = nodes[id], !n.down, n.raft.hasReady || !n.unpersisted.isEmpty else { continue }
                out.append("> \(id) ready")
                out += processReady(n, persist: true).map { "  " + $0 }
                moved = true
            }
            for id in targets {
                let mine = network.filter { $0.to == id }
                guard !mine.isEmpty else { continue }
                network.removeAll { $0.to == id }
                out.append("> \(id) receiving")
                for m in mine { out.append("  " + deliver(m)) }
                moved = true
            }
            if !moved { break }
        }
        return out
    }

    // MARK: Status

    /// One line: role, term, leader, commit and log position.
    func summary(_ n: Node) -> String {
        if n.down { return "\(n.id): down" }
        let r = n.raft
        return "\(n.id): \(Describe.role(r.role)) term=\(r.term) leader=\(r.leader ?? "none") commit=\(r.commitIndex) "
            + "last=\(r.lastIndex)@t\(r.lastTerm)"
    }

    func detailedStatus(_ n: Node) -> [String] {
        if n.down { return ["\(n.id): down (storage: \(Describe.hard(n.storage.hardState)) last=\(n.storage.lastIndex))"] }
        let r = n.raft
        var out = [summary(n)]
        out.append("  vote=\(r.vote ?? "none") applied=\(n.fsm.applied) stable=\(r.stableIndex) first=\(r.firstIndex) "
            + "conf=\(Describe.configuration(r.configuration)) pending-reads=\(r.pendingReads.count + r.readsAwaitingCommit.count)")
        if r.role == .leader {
            out.append("  lease=\(r.hasLeaderLease) transferee=\(r.leadTransferee ?? "none")")
            for peer in r.progress.keys.sorted(by: Describe.idOrder) where peer != r.id {
                let p = r.progress[peer]!
                out.append("  \(peer): match=\(p.match) next=\(p.next) \(Describe.progressState(p.state)) inflight=\(p.inflight.count)")
            }
        } else {
            out.append("  election-elapsed=\(r.electionElapsed) timeout=\(r.randomizedElectionTicks)")
        }
        return out
    }
}
