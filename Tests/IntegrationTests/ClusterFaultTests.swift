import Foundation
import Glibc
import HTTP1
import Simulation
import Testing

/// Three real servers serve concurrent KV clients (put, cas, consistent get on shared keys)
/// while a nemesis SIGKILLs-and-restarts or SIGSTOPs-and-resumes one server at a time: the
/// recorded history is linearizable, and once the faults stop the cluster elects a leader and
/// serves a write and a consistent read again.
///
/// The seed (`FAULT_SEED` to pin it) fixes the nemesis schedule and the clients' choices, not the
/// processes' timing, so a failure replays only approximately; the printed history is the evidence.
@Suite(.serialized) struct ClusterFaultTests {
    static let clientCount = 5
    static let keys = ["fault/a", "fault/b", "fault/c"]
    static let faultSeconds = 40.0
    static let requestTimeoutMs = 5_000

    @Test func linearizableUnderKillAndPause() throws {
        let seed = ProcessInfo.processInfo.environment["FAULT_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let clock = MonotonicClock()
        let cluster = try FaultCluster()
        defer { cluster.shutdown() }
        try cluster.startAll()
        let ports = cluster.httpPorts

        func failureReport(_ headline: String, _ recorder: HistoryRecorder?) -> Comment {
            var text = "\(headline)\nseed \(seed) (rerun with FAULT_SEED=\(seed))\n"
            if let recorder { text += recorder.summary() + "\n" }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("consul-fault-\(seed).txt").path
            let ops: [String] = recorder?.history.map(\.description) ?? []
            var full = text
            full += "\n== history ==\n" + ops.joined(separator: "\n")
            full += "\n\n== server logs ==\n" + cluster.logs()
            FileManager.default.createFile(atPath: path, contents: Data(full.utf8))
            return Comment(rawValue: text + "full history and server logs: \(path)")
        }

        guard cluster.agreedLeader(seconds: 60) != nil else {
            Issue.record(failureReport("no leader after the initial start", nil))
            return
        }

        // Faults and clients run for the same bounded window; each client has at most one
        // request in flight, each bounded by requestTimeoutMs.
        let recorder = HistoryRecorder(clock: clock)
        let faultEnd = clock.now + UInt64(Self.faultSeconds * 1_000_000)
        let group = DispatchGroup()
        for client in 0..<Self.clientCount {
            group.enter()
            let thread = Thread {
                var client = KVClient(id: client, seed: seed &+ UInt64(client + 1) &* 0x9E37_79B9_7F4A_7C15,
                                      ports: ports, keys: Self.keys, recorder: recorder, clock: clock)
                client.run(until: faultEnd)
                group.leave()
            }
            thread.start()
        }
        group.enter()
        let nemesisThread = Thread {
            var nemesis = Nemesis(cluster: cluster, recorder: recorder, random: SplitMix64(seed: seed), clock: clock)
            nemesis.run(until: faultEnd)
            group.leave()
        }
        nemesisThread.start()
        // Clients end by faultEnd + one request timeout; the nemesis may still be restarting a server.
        let joined = group.wait(timeout: .now() + Self.faultSeconds + 45)
        guard joined == .success else {
            Issue.record(failureReport("client or nemesis threads did not finish", recorder))
            return
        }

        // Heal: every server runs; a leader appears within 60 s.
        let healed = cluster.healAll()
        recorder.event("healed: \(healed)")
        guard cluster.agreedLeader(seconds: 60) != nil else {
            Issue.record(failureReport("liveness: no agreed leader within 60 s after the faults stopped", recorder))
            return
        }
        recorder.event("leader agreed after heal")

        // Liveness: a fresh write and a consistent read of it succeed. Each attempt is a new,
        // recorded operation with its own value (never a silent retry of the same write).
        var finalClient = KVClient(id: Self.clientCount, seed: seed, ports: ports, keys: Self.keys, recorder: recorder, clock: clock)
        var finalWrite: String?
        let finalDeadline = clock.now + 20_000_000
        while finalWrite == nil && clock.now < finalDeadline {
            let value = "final-\(UUID().uuidString.prefix(8))"
            if finalClient.put(key: "fault/final", value: value, port: ports[0]) == .ok { finalWrite = value }
            else { usleep(500_000) }
        }
        guard let finalWrite else {
            Issue.record(failureReport("liveness: no write succeeded within 20 s of the healed leader", recorder))
            return
        }
        let readBack = finalClient.get(key: "fault/final", port: ports[2])
        #expect(readBack == .value(finalWrite), failureReport("liveness: consistent read after the final write saw \(readBack)", recorder))

        // Every key read once more through each server, so acknowledged writes must show up or
        // be superseded — the checker decides which.
        for key in Self.keys {
            for port in ports { _ = finalClient.get(key: key, port: port) }
        }

        let history = recorder.history
        let started = clock.now
        print("ClusterFaultTests: checking \(history.count) operations")
        let verdict = checkOnLargeStack(history)
        recorder.event("checker took \((clock.now - started) / 1000) ms")
        switch verdict {
        case .linearizable:
            let s = recorder.counts()
            #expect(s.okWrites > 20 && s.okReads > 20, failureReport("too little completed work to mean anything", recorder))
            print("ClusterFaultTests seed \(seed): linearizable\n\(recorder.summary())")
        case .violation(let why):
            // The checker names the key and lists all of its operations; narrow that to where
            // the history first becomes impossible.
            let header = String(why.prefix { $0 != "\n" })
            let key = history.first { why.hasPrefix("key \($0.key) ") }?.key
            var detail = ""
            if let key, let prefix = earliestViolatingPrefix(history.filter { $0.key == key }) {
                detail = "the first \(prefix.count) operations on \(key) (by invocation) are already not linearizable; "
                    + "operations still pending at the last invocation count as unknown (so the culprit may be just before the end). The last 40:\n  "
                    + prefix.suffix(40).map(\.description).joined(separator: "\n  ")
            }
            Issue.record(failureReport("LINEARIZABILITY VIOLATION: \(header)\n\(detail)", recorder))
        case .inconclusive:
            Issue.record(failureReport("checker inconclusive (step limit): history too ambiguous to decide", recorder))
        }
    }
}

/// The shortest invocation-ordered prefix of one key's operations that is already not
/// linearizable. Operations still running at the prefix's last invocation become unknown (reads
/// drop out), so a prefix of a linearizable history stays linearizable and the search can bisect.
func earliestViolatingPrefix(_ ops: [KVOperation]) -> [KVOperation]? {
    let sorted = ops.filter { $0.outcome != .failed }.sorted { $0.invoked < $1.invoked }
    func prefix(_ n: Int) -> [KVOperation] {
        let cut = sorted[n - 1].invoked
        return sorted.prefix(n).map { op in
            var op = op
            if op.completed > cut { op.completed = .max; op.outcome = .unknown }
            return op
        }
    }
    func violates(_ n: Int) -> Bool {
        if case .violation = checkOnLargeStack(prefix(n)) { return true }
        return false
    }
    guard !sorted.isEmpty, violates(sorted.count) else { return nil }
    var lo = 1, hi = sorted.count // invariant: prefix(hi) violates
    while lo < hi {
        let mid = (lo + hi) / 2
        if violates(mid) { hi = mid } else { lo = mid + 1 }
    }
    return prefix(hi)
}

/// The checker's search recurses once per linearized operation, so a live history of a few
/// thousand operations needs more stack than a test thread has.
func checkOnLargeStack(_ history: [KVOperation]) -> LinearizabilityChecker.Verdict {
    let done = DispatchSemaphore(value: 0)
    let box = VerdictBox()
    let thread = Thread {
        box.verdict = LinearizabilityChecker.check(history)
        done.signal()
    }
    thread.stackSize = 1 << 30
    thread.start()
    done.wait()
    return box.verdict
}

final class VerdictBox: @unchecked Sendable { var verdict: LinearizabilityChecker.Verdict = .inconclusive }

// MARK: - Cluster under the nemesis

/// The three servers; ports and data dirs stay fixed across restarts, so clients only need ports.
final class FaultCluster {
    private let lock = NSLock()
    private var agents: [AgentProcess?] = [nil, nil, nil]
    private var retired: [(String, AgentProcess)] = []
    private var paused: Set<Int> = []
    private(set) var ports: [[String: Int]] = []
    let dataDirs: [String]

    init() throws {
        var dirs: [String] = []
        for _ in 0..<3 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-fault-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            dirs.append(dir)
        }
        dataDirs = dirs
    }

    var httpPorts: [Int] { ports.map { $0["http-port"]! } }

    func startAll() throws {
        for i in 0..<3 {
            let join = i == 0 ? nil : "127.0.0.1:\(ports[0]["serf-lan-port"]!)"
            let agent = try launch(i, join: join, reusing: nil)
            lock.withLock { agents[i] = agent }
            ports.append(agent.ports)
        }
    }

    private func launch(_ i: Int, join: String?, reusing: [String: Int]?) throws -> AgentProcess {
        var args = ["-server", "-bootstrap-expect", "3", "-data-dir", dataDirs[i], "-node", "s\(i + 1)", "-bind", "127.0.0.1"]
        if let join { args += ["-retry-join", join, "-retry-interval", "1s"] }
        return try AgentProcess(extraArgs: args, dev: false, reusing: reusing)
    }

    func kill(_ i: Int) {
        lock.withLock {
            guard let agent = agents[i] else { return }
            agent.stop()
            retired.append(("s\(i + 1) (killed)", agent))
            agents[i] = nil
        }
    }

    /// Restarts server `i` on its data dir and ports, joining through another server's serf port.
    func restart(_ i: Int) throws {
        let other = (i + 1) % 3
        let agent = try launch(i, join: "127.0.0.1:\(ports[other]["serf-lan-port"]!)", reusing: ports[i])
        lock.withLock { agents[i] = agent }
    }

    func pause(_ i: Int) {
        lock.withLock {
            guard let agent = agents[i] else { return }
            agent.signal(SIGSTOP)
            paused.insert(i)
        }
    }

    func resume(_ i: Int) {
        lock.withLock {
            agents[i]?.signal(SIGCONT)
            paused.remove(i)
        }
    }

    var running: [Int] { lock.withLock { (0..<3).filter { agents[$0] != nil && !paused.contains($0) } } }

    /// Resumes paused servers and restarts missing ones; returns what it did.
    func healAll() -> String {
        var did: [String] = []
        for i in 0..<3 {
            if lock.withLock({ paused.contains(i) }) { resume(i); did.append("resumed s\(i + 1)") }
            if lock.withLock({ agents[i] == nil }) {
                for attempt in 1...3 {
                    do { try restart(i); did.append("restarted s\(i + 1)"); break }
                    catch { did.append("restart s\(i + 1) attempt \(attempt) failed: \(error)") }
                }
            }
        }
        return did.isEmpty ? "nothing to do" : did.joined(separator: ", ")
    }

    /// Index of the server every running member names as leader, if they agree.
    func leaderIndex() -> Int? {
        let views = httpPorts.map(leaderView)
        guard let first = views.first, !first.isEmpty, views.allSatisfy({ $0 == first }) else { return nil }
        return ports.firstIndex { "127.0.0.1:\($0["server-port"]!)" == first }
    }

    /// The leader some running server names (no agreement needed); for aiming the nemesis.
    func anyLeaderIndex() -> Int? {
        for i in running {
            let view = leaderView(httpPorts[i])
            if let idx = ports.firstIndex(where: { "127.0.0.1:\($0["server-port"]!)" == view }) { return idx }
        }
        return nil
    }

    private func leaderView(_ port: Int) -> String {
        guard let r = try? HTTP.request("GET", "/v1/status/leader", port: port, timeoutMs: 2000), r.status == 200 else { return "" }
        return r.bodyText.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    func agreedLeader(seconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let i = leaderIndex() { return i }
            usleep(200_000)
        }
        return nil
    }

    func logs() -> String {
        lock.withLock {
            var parts = retired.map { "---- \($0.0)\n\(String($0.1.log.suffix(20_000)))" }
            for (i, a) in agents.enumerated() { if let a { parts.append("---- s\(i + 1) (current)\n\(String(a.log.suffix(20_000)))") } }
            return parts.joined(separator: "\n")
        }
    }

    func shutdown() {
        lock.withLock {
            for i in 0..<3 { agents[i]?.signal(SIGCONT); agents[i]?.stop() }
            for (_, a) in retired { a.stop() }
        }
        for dir in dataDirs { try? FileManager.default.removeItem(atPath: dir) }
    }
}

/// One fault at a time, so a majority is always reachable between faults: SIGKILL a server
/// (the leader half of the time) and restart it on the same data dir and ports, or SIGSTOP one
/// for a few seconds and SIGCONT it.
struct Nemesis {
    let cluster: FaultCluster
    let recorder: HistoryRecorder
    var random: SplitMix64
    let clock: MonotonicClock

    mutating func run(until end: UInt64) {
        sleep(micros: 2_000_000 + random.below(2_000_000))
        while clock.now < end {
            let leader = cluster.anyLeaderIndex()
            let target = random.below(2) == 0 ? (leader ?? Int(random.below(3))) : Int(random.below(3))
            let role = target == leader ? " (leader)" : ""
            if random.below(10) < 6 {
                cluster.kill(target)
                recorder.event("nemesis: SIGKILL s\(target + 1)\(role)")
                sleep(micros: 1_000_000 + random.below(2_000_000))
                var restarted = false
                for attempt in 1...3 where !restarted {
                    do {
                        try cluster.restart(target)
                        restarted = true
                        recorder.event("nemesis: restarted s\(target + 1)")
                    } catch {
                        recorder.event("nemesis: restart s\(target + 1) attempt \(attempt) failed: \(String("\(error)".prefix(300)))")
                    }
                }
            } else {
                cluster.pause(target)
                recorder.event("nemesis: SIGSTOP s\(target + 1)\(role)")
                sleep(micros: 4_000_000 + random.below(4_000_000))
                cluster.resume(target)
                recorder.event("nemesis: SIGCONT s\(target + 1)")
            }
            // Let the cluster settle (elections take 5–10 s) before the next fault.
            sleep(micros: 4_000_000 + random.below(4_000_000))
        }
    }

    private func sleep(micros: UInt64) { usleep(UInt32(micros)) }
}

// MARK: - Clients and history

/// Foundation also declares `Operation`.
typealias KVOperation = Simulation.Operation

/// Microseconds since the test started, on the monotonic clock.
struct MonotonicClock {
    let origin = DispatchTime.now().uptimeNanoseconds
    var now: UInt64 { (DispatchTime.now().uptimeNanoseconds - origin) / 1000 }
}

/// Deterministic per-thread randomness from the test's seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: UInt64) -> UInt64 { next() % n }
}

/// Thread-safe history of completed operations plus a timeline of nemesis events.
final class HistoryRecorder {
    private let lock = NSLock()
    private var ops: [KVOperation] = []
    private var events: [(UInt64, String)] = []
    private var errors: [String: Int] = [:]
    let clock: MonotonicClock

    init(clock: MonotonicClock) { self.clock = clock }

    func record(_ op: KVOperation, error: String? = nil) {
        lock.withLock {
            ops.append(op)
            if let error { errors[error, default: 0] += 1 }
        }
    }

    func event(_ text: String) { lock.withLock { events.append((clock.now, text)) } }

    var history: [KVOperation] { lock.withLock { ops } }

    struct Counts { var okWrites = 0, okReads = 0, casApplied = 0, casRefused = 0, failed = 0, unknownWrites = 0, unknownReads = 0 }

    func counts() -> Counts {
        var c = Counts()
        for op in history {
            switch (op.kind, op.outcome) {
            case (.get, .value): c.okReads += 1
            case (.get, .unknown): c.unknownReads += 1
            case (_, .ok): c.okWrites += 1
            case (_, .created(true)): c.okWrites += 1; c.casApplied += 1
            case (_, .created(false)): c.casRefused += 1
            case (_, .failed): c.failed += 1
            case (_, .unknown): c.unknownWrites += 1
            default: break
            }
        }
        return c
    }

    func summary() -> String {
        let c = counts()
        let (timeline, errorLines) = lock.withLock {
            (events.map { "  \(String(format: "%8.3f", Double($0.0) / 1e6)) s  \($0.1)" },
             errors.sorted { $0.value > $1.value }.prefix(12).map { "  \($0.value)× \($0.key)" })
        }
        return """
        ops: \(history.count) — ok writes \(c.okWrites) (cas applied \(c.casApplied)), cas refused \(c.casRefused), \
        ok reads \(c.okReads), failed \(c.failed), unknown writes \(c.unknownWrites), unknown reads \(c.unknownReads)
        timeline (s since start):
        \(timeline.joined(separator: "\n"))
        errors and non-200 answers:
        \(errorLines.joined(separator: "\n"))
        """
    }
}

/// One client: a single request in flight at a time against a random server. A write whose
/// fate is unclear (timeout, reset, 5xx) is recorded as unknown and never retried; a request
/// that never got a connection is definitely not applied.
struct KVClient {
    let id: Int
    var random: SplitMix64
    let ports: [Int]
    let keys: [String]
    let recorder: HistoryRecorder
    let clock: MonotonicClock
    private var counter = 0
    private let thinkMicrosMin: UInt64 = 10_000
    /// The latest (value, ModifyIndex) this client read per key; the basis of its CAS.
    private var lastRead: [String: (value: String?, index: UInt64)] = [:]

    init(id: Int, seed: UInt64, ports: [Int], keys: [String], recorder: HistoryRecorder, clock: MonotonicClock) {
        self.id = id
        random = SplitMix64(seed: seed)
        self.ports = ports
        self.keys = keys
        self.recorder = recorder
        self.clock = clock
    }

    mutating func run(until end: UInt64) {
        while clock.now < end {
            let key = keys[Int(random.below(UInt64(keys.count)))]
            let port = ports[Int(random.below(UInt64(ports.count)))]
            switch random.below(10) {
            case 0..<4: _ = get(key: key, port: port)
            case 4..<7: _ = put(key: key, value: nextValue(), port: port)
            default: _ = cas(key: key, port: port)
            }
            // Pace the clients: unpaced they produce ~40k operations, which the checker needs
            // minutes for; a few thousand keep the run short and still overlap every fault.
            usleep(UInt32(thinkMicrosMin + random.below(thinkMicrosMin * 2)))
        }
    }

    private mutating func nextValue() -> String {
        counter += 1
        return "c\(id)-\(counter)"
    }

    private enum Reply { case answered(HTTPClientResponse), notSent(String), lost(String) }

    private func send(_ method: String, _ target: String, port: Int, body: String?) -> Reply {
        let connection: RawConnection
        do { connection = try RawConnection(port: port, timeoutMs: ClusterFaultTests.requestTimeoutMs) }
        catch { return .notSent("connect: \(error)") }
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
        do {
            try connection.send(text)
            return .answered(try connection.readResponse())
        } catch {
            return .lost("\(error)")
        }
    }

    @discardableResult
    mutating func get(key: String, port: Int) -> KVOperation.Outcome {
        var op = KVOperation(client: id, key: key, kind: .get, invoked: clock.now)
        var note: String?
        switch send("GET", "/v1/kv/\(key)?consistent", port: port, body: nil) {
        case .answered(let r) where r.status == 200:
            if let entry = (r.json as? [[String: Any]])?.first, let index = (entry["ModifyIndex"] as? NSNumber)?.uint64Value,
               let encoded = entry["Value"] as? String, let data = Data(base64Encoded: encoded) {
                let value = String(decoding: data, as: UTF8.self)
                op.outcome = .value(value)
                lastRead[key] = (value, index)
            } else {
                note = "get 200 with unparsable body \(r.bodyText.prefix(200))"
            }
        case .answered(let r) where r.status == 404:
            op.outcome = .value(nil)
            lastRead[key] = (nil, 0)
        case .answered(let r):
            note = "get \(r.status) \(r.bodyText.prefix(120))"
        case .notSent(let e):
            op.outcome = .failed
            note = "get not sent: \(e)"
        case .lost(let e):
            note = "get \(e)"
        }
        op.completed = op.outcome == .unknown ? .max : clock.now
        recorder.record(op, error: note)
        return op.outcome
    }

    @discardableResult
    mutating func put(key: String, value: String, port: Int) -> KVOperation.Outcome {
        write(key: key, kind: .put(value), target: "/v1/kv/\(key)", value: value, port: port)
    }

    private mutating func cas(key: String, port: Int) -> KVOperation.Outcome {
        let basis = lastRead[key] ?? (nil, 0)
        let value = nextValue()
        return write(key: key, kind: .compareAndSet(expected: basis.value, new: value),
                     target: "/v1/kv/\(key)?cas=\(basis.index)", value: value, port: port)
    }

    private func write(key: String, kind: KVOperation.Kind, target: String, value: String, port: Int) -> KVOperation.Outcome {
        var op = KVOperation(client: id, key: key, kind: kind, invoked: clock.now)
        var note: String?
        let isCAS = kind != .put(value)
        switch send("PUT", target, port: port, body: value) {
        case .answered(let r) where r.status == 200:
            switch r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "true": op.outcome = isCAS ? .created(true) : .ok
            case "false": op.outcome = isCAS ? .created(false) : .failed
            default: note = "put 200 with body \(r.bodyText.prefix(120))"
            }
        case .answered(let r) where (400..<500).contains(r.status):
            op.outcome = .failed
            note = "put \(r.status) \(r.bodyText.prefix(120))"
        case .answered(let r):
            note = "put \(r.status) \(r.bodyText.prefix(120))"
        case .notSent(let e):
            op.outcome = .failed
            note = "put not sent: \(e)"
        case .lost(let e):
            note = "put \(e)"
        }
        op.completed = op.outcome == .unknown ? .max : clock.now
        recorder.record(op, error: note)
        return op.outcome
    }
}
