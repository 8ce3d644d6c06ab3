import ConsulState
import Raft
import Server

/// One client operation in the recorded history.
public struct Operation: CustomStringConvertible {
    public enum Kind: Equatable {
        case put(String), get, createIfAbsent(String), delete
        /// Writes `new` only if the register holds `expected` (nil = absent). Live tests map
        /// Consul's `?cas=<ModifyIndex>` onto it: every write stores a unique value, so a value
        /// names exactly one ModifyIndex.
        case compareAndSet(expected: String?, new: String)
    }
    public enum Outcome: Equatable {
        case ok
        /// get's result (nil = absent)
        case value(String?)
        /// createIfAbsent's / compareAndSet's answer: whether the write applied
        case created(Bool)
        /// The server said it was not the leader: definitely not applied.
        case failed
        /// Timed out or leadership changed: may or may not have been applied.
        case unknown
    }
    public var client: Int
    public var key: String
    public var kind: Kind
    public var invoked: UInt64
    public var completed: UInt64 = .max
    public var outcome: Outcome = .unknown
    public init(client: Int, key: String, kind: Kind, invoked: UInt64) {
        self.client = client
        self.key = key
        self.kind = kind
        self.invoked = invoked
    }
    public var description: String { "c\(client) \(key) \(kind) [\(invoked), \(completed == .max ? "∞" : String(completed))] → \(outcome)" }
}

/// Clients issuing KV operations to random live servers, recording a history for the
/// linearizability checker. Every acknowledged write is also remembered for the durability check.
public final class Workload {
    private let cluster: SimCluster
    public private(set) var history: [Operation] = []
    private var inFlight: [Int: Int] = [:] // client → history index
    private let clients: Int
    private let keys: [String]
    private var counter = 0
    /// Acknowledged puts (value written) and creates that returned true.
    public var completedOperations: Int { history.filter { $0.outcome != .failed && $0.outcome != .unknown }.count }
    public private(set) var acknowledgedWrites: [(key: String, value: String)] = []

    public init(cluster: SimCluster, clients: Int = 3, keys: [String] = ["x", "y"]) {
        self.cluster = cluster
        self.clients = clients
        self.keys = keys
    }

    /// Lets each idle client start an operation with some probability.
    public func step() {
        for client in 0..<clients where inFlight[client] == nil {
            guard cluster.world.random.chance(0.3) else { continue }
            issue(client)
        }
    }

    private func issue(_ client: Int) {
        let live = cluster.liveServers
        guard !live.isEmpty else { return }
        // Clients mostly find the leader (as Consul's forwarding would); sometimes they ask anyone.
        let leaders = live.filter { cluster.nodes[$0]?.raft.role == .leader }
        let server = (!leaders.isEmpty && cluster.world.random.chance(0.8))
            ? leaders[Int(cluster.world.random.below(UInt64(leaders.count)))]
            : live[Int(cluster.world.random.below(UInt64(live.count)))]
        guard let node = cluster.nodes[server] else { return }
        let key = keys[Int(cluster.world.random.below(UInt64(keys.count)))]
        counter += 1
        let value = "v\(counter)"
        let roll = cluster.world.random.below(10)
        let kind: Operation.Kind = roll < 4 ? .put(value) : roll < 7 ? .get : roll < 9 ? .createIfAbsent(value) : .delete
        let op = Operation(client: client, key: key, kind: kind, invoked: cluster.world.now)
        history.append(op)
        let slot = history.count - 1
        inFlight[client] = slot
        let world = cluster.world
        // A client gives up after a while; the outcome then stays unknown.
        world.schedule(after: 2_000_000_000) { [weak self] in
            guard let self, self.inFlight[client] == slot else { return }
            self.inFlight[client] = nil
        }
        let finish: (Operation.Outcome) -> Void = { [weak self] outcome in
            guard let self, self.inFlight[client] == slot else { return }
            self.inFlight[client] = nil
            self.history[slot].completed = world.now
            self.history[slot].outcome = outcome
            switch (kind, outcome) {
            case (.put(let v), .ok): self.acknowledgedWrites.append((key, v))
            case (.createIfAbsent(let v), .created(true)): self.acknowledgedWrites.append((key, v))
            default: break
            }
        }
        switch kind {
        case .get:
            node.linearizableRead { [weak node] result in
                switch result {
                case .success:
                    guard let node else { return }
                    let value = node.store.kvGet(key).map { String(decoding: $0.value, as: UTF8.self) }
                    finish(.value(value))
                case .failure(.notLeader): finish(.failed)
                case .failure: finish(.unknown)
                }
            }
        case .put(let v), .createIfAbsent(let v):
            let command: Command = kind == .put(v) ? .kvSet(key: key, value: Array(v.utf8), flags: 0)
                : .kvCAS(key: key, value: Array(v.utf8), flags: 0, index: 0)
            node.propose(command) { result in
                switch result {
                case .success(.bool(let ok)): finish(kind == .put(v) ? .ok : .created(ok))
                case .success(.failure): finish(.failed) // refused alike on every replica: not applied
                case .success(.json): finish(.unknown) // never produced by KV set/CAS
                case .failure(.notLeader): finish(.failed)
                case .failure: finish(.unknown)
                }
            }
        case .delete:
            node.propose(.kvDelete(key: key)) { result in
                switch result {
                case .success: finish(.ok)
                case .failure(.notLeader): finish(.failed)
                case .failure: finish(.unknown)
                }
            }
        case .compareAndSet:
            preconditionFailure("the simulated workload does not issue compareAndSet")
        }
    }
}
