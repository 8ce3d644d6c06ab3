@testable import Raft

/// One script line: `name positional… key=value…`; a parenthesized list `(1,2,3)` is one token.
struct ScriptCommand {
    var name: String
    var args: [String] = []
    var options: [String: String] = [:]

    init(_ line: String) throws {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for c in line {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if (c == " " || c == "\t") && depth == 0 {
                if !current.isEmpty { tokens.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        guard depth == 0, let first = tokens.first else { throw ScriptError("cannot parse: \(line)") }
        name = first
        for t in tokens.dropFirst() {
            if let eq = t.firstIndex(of: "="), !t.hasPrefix("(") {
                options[String(t[..<eq])] = String(t[t.index(after: eq)...])
            } else {
                args.append(t)
            }
        }
    }

    static func list(_ token: String) -> [String] {
        var t = Substring(token)
        if t.hasPrefix("(") && t.hasSuffix(")") { t = t.dropFirst().dropLast() }
        return t.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    func arg(_ i: Int, _ what: String) throws -> String {
        guard i < args.count else { throw ScriptError("\(name): missing \(what)") }
        return args[i]
    }

    /// Positional argument `i` as a count, `d` when absent.
    func count(_ i: Int, default d: Int) throws -> Int {
        guard i < args.count else { return d }
        guard let n = Int(args[i]), n >= 0 else { throw ScriptError("\(name): \(args[i]) is not a count") }
        return n
    }

    func int(_ key: String, default d: Int) throws -> Int {
        guard let v = options[key] else { return d }
        guard let n = Int(v) else { throw ScriptError("\(name): \(key)=\(v) is not a number") }
        return n
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = options[key] else { return d }
        switch v {
        case "true": return true
        case "false": return false
        default: throw ScriptError("\(name): \(key)=\(v) is not true/false")
        }
    }
}

/// Which in-flight messages a `deliver-msgs` / `drop-msgs` applies to (all when no filter).
private struct MessageFilter {
    var from: Set<String>?
    var to: Set<String>?
    var types: Set<String>?

    init(_ c: ScriptCommand) throws {
        for key in c.options.keys where !["from", "to", "type"].contains(key) {
            throw ScriptError("\(c.name): unknown filter \(key)")
        }
        from = c.options["from"].map { Set(ScriptCommand.list($0)) }
        to = c.options["to"].map { Set(ScriptCommand.list($0)) }
        types = c.options["type"].map { Set(ScriptCommand.list($0)) }
    }

    func matches(_ m: Message) -> Bool {
        (from?.contains(m.from) ?? true) && (to?.contains(m.to) ?? true)
            && (types?.contains(Describe.type(m.body)) ?? true)
    }
}

extension InteractionHarness {
    /// Runs one script line; returns its transcript lines. Throws only for a malformed script.
    func execute(_ line: String) throws -> [String] {
        let c = try ScriptCommand(line)
        let out: [String]
        switch c.name {
        case "add-nodes": out = try addNodes(c)
        case "campaign": out = try campaign(c)
        case "tick": out = try tick(c)
        case "tick-heartbeat": out = try tickHeartbeat(c)
        case "tick-all": out = try tickAll(c)
        case "process-ready": out = try processReadyCommand(c)
        case "persist": out = try completePending(upNode(c.arg(0, "node")))
        case "stabilize":
            // `quiet=true` (for set-up steps other scripts show in full): only the end state.
            let targets = c.args.isEmpty ? ids : c.args
            let transcript = try stabilize(targets)
            out = try c.bool("quiet", default: false) ? targets.map { summary(try node($0)) } : transcript
        case "deliver-msgs": out = try deliverOrDrop(c, drop: false)
        case "drop-msgs": out = try deliverOrDrop(c, drop: true)
        case "print-msgs": out = network.map(Describe.message)
        case "propose": out = try propose(c)
        case "read-index": out = try readIndex(c)
        case "propose-conf-change": out = try proposeConfChange(c)
        case "transfer-leader": out = try transferLeader(c)
        case "partition": out = try partition(c)
        case "heal":
            // Messages still in flight across the partition were lost in it.
            let lost = network.filter { partitioned($0.from, $0.to) }
            network.removeAll { partitioned($0.from, $0.to) }
            partitionGroup = [:]
            out = lost.map { "dropped (partition): " + Describe.message($0) }
        case "crash": out = try crash(c)
        case "restart": out = try restart(c)
        case "status": out = try (c.args.isEmpty ? ids : c.args).flatMap { try detailedStatus(node($0)) }
        case "log": out = try log(c)
        case "snapshot": out = try snapshot(c)
        default: throw ScriptError("unknown command \(c.name)")
        }
        return out.isEmpty ? ["ok"] : out
    }

    /// `add-nodes N [voters=(..)] [nonvoters=(..)] [election= heartbeat= lease= prevote= checkquorum=
    /// chunk= inflight= maxentries= seed=]`. Nodes named in voters/nonvoters bootstrap with that
    /// configuration; the others start empty, waiting to be added.
    private func addNodes(_ c: ScriptCommand) throws -> [String] {
        _ = try c.arg(0, "count")
        let count = try c.count(0, default: 1)
        let voters = Set(c.options["voters"].map(ScriptCommand.list) ?? [])
        let nonVoters = Set(c.options["nonvoters"].map(ScriptCommand.list) ?? [])
        let known = ["voters", "nonvoters", "election", "heartbeat", "lease", "prevote", "checkquorum",
                     "chunk", "inflight", "maxentries", "seed"]
        for key in c.options.keys where !known.contains(key) { throw ScriptError("add-nodes: unknown option \(key)") }
        for (k, v) in c.options where k != "voters" && k != "nonvoters" { nodeOptions[k] = v }
        var opts = c
        opts.options = nodeOptions
        var out: [String] = []
        for _ in 0..<count {
            let id = String(nodes.count + 1)
            var cfg = RaftConfig(id: id)
            cfg.electionTicks = try opts.int("election", default: 10)
            cfg.heartbeatTicks = try opts.int("heartbeat", default: 1)
            cfg.leaseTicks = try opts.int("lease", default: 5)
            cfg.preVote = try opts.bool("prevote", default: true)
            cfg.checkQuorum = try opts.bool("checkquorum", default: true)
            cfg.snapshotChunkBytes = try opts.int("chunk", default: 256 * 1024)
            cfg.inflightMax = try opts.int("inflight", default: 64)
            cfg.entriesPerMessageMax = try opts.int("maxentries", default: 64)
            cfg.seed = UInt64(try opts.int("seed", default: 1))
            let founding = voters.contains(id) || nonVoters.contains(id)
            let n = Node(config: cfg, bootstrap: founding ? Configuration(voters: voters, nonVoters: nonVoters) : nil)
            nodes[id] = n
            out.append(summary(n) + " timeout=\(n.raft.randomizedElectionTicks)")
        }
        return out
    }

    /// Ticks the node until its election timer fires: a voter then starts a (pre-)vote round,
    /// also when it is already a (pre-)candidate whose round failed.
    private func campaign(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        guard n.raft.role != .leader else { throw ScriptError("campaign: \(n.id) is leader") }
        for ticks in 1...(2 * n.config.electionTicks + 1) {
            n.raft.tick()
            if n.raft.electionElapsed == 0 { return ["\(n.id): election timeout after \(ticks) ticks", summary(n)] }
        }
        throw ScriptError("campaign: \(n.id)'s election timer did not fire")
    }

    private func tickTimes(_ n: Node, _ times: Int) -> [String] {
        let before = n.raft.currentSoftState
        for _ in 0..<times { n.raft.tick() }
        return n.raft.currentSoftState == before ? [] : [summary(n)]
    }

    /// `tick ID [N]`; prints the node's state if its role, term or leader changed.
    private func tick(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        return tickTimes(n, try c.count(1, default: 1))
    }

    private func tickHeartbeat(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        return tickTimes(n, n.config.heartbeatTicks)
    }

    /// `tick-all [N] [stop=change]`: N rounds, each ticking every live node once; reports state
    /// changes by round, and with `stop=change` ends after the first round that changed one.
    private func tickAll(_ c: ScriptCommand) throws -> [String] {
        let rounds = try c.count(0, default: 1)
        let stopOnChange = c.options["stop"] == "change"
        var out: [String] = []
        for round in stride(from: 1, through: rounds, by: 1) {
            var changed = false
            for id in ids {
                let n = nodes[id]!
                guard !n.down else { continue }
                let lines = tickTimes(n, 1).map { "round \(round): " + $0 }
                changed = changed || !lines.isEmpty
                out += lines
            }
            if changed && stopOnChange { break }
        }
        return out
    }

    /// `process-ready ID... [persist=false]`.
    private func processReadyCommand(_ c: ScriptCommand) throws -> [String] {
        let persist = try c.bool("persist", default: true)
        let targets = try c.args.map { try upNode($0) }
        guard targets.count > 1 else { return try processReady(targets.first ?? upNode(""), persist: persist) }
        return targets.flatMap { n in ["> \(n.id) ready"] + processReady(n, persist: persist).map { "  " + $0 } }
    }

    private func deliverOrDrop(_ c: ScriptCommand, drop: Bool) throws -> [String] {
        let filter = try MessageFilter(c)
        var out: [String] = []
        let batch = network
        network = batch.filter { !filter.matches($0) }
        for m in batch where filter.matches(m) {
            out.append(drop ? "dropped: " + Describe.message(m) : deliver(m))
        }
        return out
    }

    private func propose(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        switch n.raft.propose(Array(try c.arg(1, "data").utf8)) {
        case .success(let at): return ["\(n.id): proposed at \(at.index)@t\(at.term)"]
        case .failure(let e): return ["\(n.id): rejected: \(e)"]
        }
    }

    private func readIndex(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        guard let id = UInt64(try c.arg(1, "request id")) else { throw ScriptError("read-index: request id") }
        switch n.raft.readIndex(id) {
        case .success: return ["\(n.id): read \(id) accepted"]
        case .failure(let e): return ["\(n.id): read \(id) rejected: \(e)"]
        }
    }

    private func proposeConfChange(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        let target = try c.arg(2, "server")
        let change: ConfigurationChange
        switch try c.arg(1, "change") {
        case "add-voter": change = .addVoter(target)
        case "add-non-voter": change = .addNonVoter(target)
        case "promote": change = .promote(target)
        case "remove": change = .remove(target)
        case let other: throw ScriptError("propose-conf-change: unknown change \(other)")
        }
        switch n.raft.proposeConfigurationChange(change) {
        case .success(let at): return ["\(n.id): proposed at \(at.index)@t\(at.term) conf=\(Describe.configuration(n.raft.configuration))"]
        case .failure(let e): return ["\(n.id): rejected: \(e)"]
        }
    }

    /// `transfer-leader ID to TARGET` (or `transfer-leader ID TARGET`).
    private func transferLeader(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        let target = c.args.count > 2 && c.args[1] == "to" ? c.args[2] : try c.arg(1, "target")
        switch n.raft.transferLeadership(to: target) {
        case .success: return ["\(n.id): transferring to \(target)"]
        case .failure(let e): return ["\(n.id): rejected: \(e)"]
        }
    }

    /// `partition (1) (2,3)`: messages cross no group boundary; unnamed nodes are alone.
    private func partition(_ c: ScriptCommand) throws -> [String] {
        partitionGroup = [:]
        for (g, token) in c.args.enumerated() {
            for id in ScriptCommand.list(token) {
                _ = try node(id)
                partitionGroup[id] = g
            }
        }
        for (i, id) in ids.enumerated() where partitionGroup[id] == nil { partitionGroup[id] = c.args.count + i }
        return []
    }

    /// The node stops: Readys not yet persisted are lost with everything else in memory.
    private func crash(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        let lost = n.unpersisted.reduce(0) { $0 + $1.entries.count }
        let inMemoryOnly = n.raft.lastIndex > n.storage.lastIndex ? n.raft.lastIndex - n.storage.lastIndex : 0
        n.down = true
        n.unpersisted = []
        return ["\(n.id): crashed; storage: \(Describe.hard(n.storage.hardState)) last=\(n.storage.lastIndex)"
            + (lost + Int(inMemoryOnly) > 0 ? " (in-memory log reached \(n.raft.lastIndex))" : "")]
    }

    private func restart(_ c: ScriptCommand) throws -> [String] {
        let n = try node(c.arg(0, "node"))
        guard n.down else { throw ScriptError("restart: \(n.id) is not down") }
        n.restart()
        return [summary(n)]
    }

    /// The node's log as the core holds it, and what its storage holds.
    private func log(_ c: ScriptCommand) throws -> [String] {
        let n = try node(c.arg(0, "node"))
        let s = n.storage
        var out = ["storage: \(Describe.hard(s.hardState)) snapshot=\(s.snapshot.map { "\($0.index)@t\($0.term)" } ?? "none") "
            + "entries=\(s.entries.first.map { "\($0.index)..\(s.lastIndex)" } ?? "none")"]
        guard !n.down else { return out }
        let r = n.raft
        out.append("log: first=\(r.firstIndex) last=\(r.lastIndex) commit=\(r.commitIndex) stable=\(r.stableIndex) "
            + "applied=\(n.fsm.applied) fsm=[\(n.fsm.commands.joined(separator: ","))]")
        out += r.entries(from: r.firstIndex, to: r.lastIndex).map { "  " + Describe.entry($0) }
        return out
    }

    /// The FSM snapshot at the applied index (trailing 0): the core compacts its log, and so does storage.
    private func snapshot(_ c: ScriptCommand) throws -> [String] {
        let n = try upNode(c.arg(0, "node"))
        let index = n.fsm.applied
        guard let term = n.raft.term(at: index) else { throw ScriptError("snapshot: no term at \(index)") }
        let snap = Snapshot(index: index, term: term, configuration: n.fsm.configuration, data: n.fsm.snapshotData)
        n.raft.snapshotTaken(snap, trailingEntries: 0)
        guard n.raft.latestSnapshot == snap else { return ["\(n.id): snapshot at \(index) not taken"] }
        n.storage.snapshot = snap
        n.storage.entries.removeAll { $0.index <= index }
        return ["\(n.id): snapshot \(Describe.snapshot(snap)); log now \(n.raft.firstIndex)..\(n.raft.lastIndex)"]
    }
}
