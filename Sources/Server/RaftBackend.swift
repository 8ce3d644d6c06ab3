import ConsulState
import Metrics
import HTTPAPI
import Platform
import Raft
import Server

/// The API's backend on a server. Writes go through Raft: proposed here when we lead, else
/// forwarded to the leader over the server RPC. Reads follow Consul's consistency modes:
/// default trusts the leader's lease, `?consistent` runs a ReadIndex round, `?stale` answers
/// from the local replica — but only once it has heard from a leader, so a freshly started
/// server never serves an empty store as if it were current. A follower serves default and
/// consistent reads locally after the leader hands it a read index and it has applied that far.
/// No leader: retried until `rpc_hold_timeout` (7 s), then "No cluster leader".
public final class RaftBackend: ConsulBackend {
    public let node: RaftNode
    public var store: StateStore { node.store }
    /// Forwarding to the leader; nil for a lone server (-dev, -bootstrap without peers).
    var rpc: ServerRPC?
    var leaderAddress: () -> SocketAddress? = { nil }
    let clock: EventLoopClock
    /// The server's metrics (nil in tests and the simulation).
    var metrics: ServerMetrics?
    static let holdTimeoutNanos: UInt64 = 7_000_000_000
    static let retryNanos: UInt64 = 100_000_000

    public init(node: RaftNode, clock: EventLoopClock) {
        self.node = node
        self.clock = clock
    }

    public func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        // `kvs.apply`, `txn.apply`, … time a write on the server that carries it out: the node
        // observes it when the proposal applies (no closure more per write).
        let timer = metrics?.writeTimer(command)
        // Only the encoded bytes are kept across retries (they become the log entry's, shared):
        // a restore's command is tens of megabytes. Lock commands are kept for their checks.
        applyRetrying(command.encoded, lockCheck: command.acquiresLocks ? command : nil, timer: timer,
                      deadline: clock.now.adding(nanoseconds: RaftBackend.holdTimeoutNanos), completion: completion)
    }

    private func applyRetrying(_ encoded: [UInt8], lockCheck: Command?, timer: Metric?, deadline: Instant,
                               completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        let retry = { [weak self] (error: BackendError) in
            guard let self, self.clock.now.adding(nanoseconds: RaftBackend.retryNanos) < deadline else { return completion(.failure(error)) }
            self.clock.schedule(after: RaftBackend.retryNanos) {
                self.applyRetrying(encoded, lockCheck: lockCheck, timer: timer, deadline: deadline, completion: completion)
            }
        }
        if node.raft.role == .leader {
            // Lock-delay is judged on the leader's clock before proposing, never while applying,
            // and only once a new leader has applied what earlier leaders committed (else an
            // invalidation it has not applied yet would start no window).
            if let lockCheck {
                if !node.hasAppliedOwnTerm { return retry(.noLeader) }
                if case .kvLock(let key, _, _, _) = lockCheck, store.lockDelayed(key) { return completion(.success(.bool(false))) }
                if case .txn(let ops) = lockCheck, let refused = store.lockDelayRefusal(ops) { return completion(.success(refused)) }
            }
            node.propose(encoded: encoded, timer: timer) { result in
                switch result {
                case .success(let r): completion(.success(r))
                case .failure(.notLeader): retry(.noLeader)
                case .failure(let e): completion(.failure(.other(RaftBackend.describe(e))))
                }
            }
            return
        }
        guard let rpc, let leader = leaderAddress() else { return retry(.noLeader) }
        let request = RPCRequest(method: .apply, deadlineMilliseconds: 7000, body: encoded)
        rpc.call(leader, request, timeoutNanos: deadline.nanoseconds > clock.now.nanoseconds ? deadline.nanoseconds - clock.now.nanoseconds : 1) { result in
            switch result {
            case .success(let body):
                guard let r = try? RPCReplyCodec.decodeCommandResult(body) else { return completion(.failure(.other("malformed reply from leader"))) }
                completion(.success(r))
            case .failure(.remote(.noLeader, _)), .failure(.remote(.notLeader, _)), .failure(.unreachable):
                // Not (yet) the leader or not reachable before the write was sent: safe to retry.
                retry(.noLeader)
            case .failure(.timeout), .failure(.connectionLost):
                // The leader may have applied it: report, never re-send (no double writes).
                completion(.failure(.other("rpc error: lost contact with the leader while forwarding the write")))
            case .failure(.remote(_, let message)):
                completion(.failure(.other(message)))
            }
        }
    }

    public func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        metrics?.rpcQuery.increment()
        let raft = node.raft
        switch consistency {
        case .stale:
            let known = raft.leader != nil
            guard known || node.appliedIndex > 0 else { return completion(.failure(.noLeader)) }
            completion(.success(QueryMeta(knownLeader: known, lastContactMilliseconds: node.lastContactMilliseconds ?? 0)))
        case .default, .consistent:
            readRetrying(consistent: consistency == .consistent, deadline: clock.now.adding(nanoseconds: RaftBackend.holdTimeoutNanos),
                         completion: completion)
        }
    }

    private func readRetrying(consistent: Bool, deadline: Instant, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        let retry = { [weak self] in
            guard let self, self.clock.now.adding(nanoseconds: RaftBackend.retryNanos) < deadline else { return completion(.failure(.noLeader)) }
            self.clock.schedule(after: RaftBackend.retryNanos) { self.readRetrying(consistent: consistent, deadline: deadline, completion: completion) }
        }
        let raft = node.raft
        if raft.role == .leader {
            if !consistent {
                guard raft.hasLeaderLease else { return retry() }
                return completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
            }
            node.linearizableRead { result in
                switch result {
                case .success: completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
                case .failure(.notLeader), .failure(.leadershipLost): retry()
                case .failure(let e): completion(.failure(.other(RaftBackend.describe(e))))
                }
            }
            return
        }
        guard let rpc, let leader = leaderAddress() else { return retry() }
        let request = RPCRequest(method: .readIndex, deadlineMilliseconds: 7000, body: [consistent ? 1 : 0])
        rpc.call(leader, request, timeoutNanos: 2_000_000_000) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let body):
                guard let index = try? RPCReplyCodec.decodeIndex(body) else { return completion(.failure(.other("malformed reply from leader"))) }
                self.node.whenApplied(index) { [node = self.node] in
                    completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: node.lastContactMilliseconds ?? 0)))
                }
            case .failure:
                retry()
            }
        }
    }

    /// The leader's side of a follower's read: confirm leadership (lease or quorum round) and
    /// hand back the index the follower must have applied before it reads.
    func serveReadIndex(consistent: Bool, reply: @escaping (RPCResponse) -> Void) {
        let raft = node.raft
        guard raft.role == .leader else { return reply(.error(code: .notLeader, message: "not the leader")) }
        if !consistent {
            guard raft.hasLeaderLease else { return reply(.error(code: .noLeader, message: "No cluster leader")) }
            return reply(.ok(RPCReplyCodec.encode(index: node.appliedIndex)))
        }
        node.linearizableRead { [node] result in
            switch result {
            case .success: reply(.ok(RPCReplyCodec.encode(index: node.appliedIndex)))
            case .failure: reply(.error(code: .noLeader, message: "No cluster leader"))
            }
        }
    }

    static func describe(_ e: RaftNodeError) -> String {
        switch e {
        case .notLeader: return "No cluster leader"
        case .leadershipLost: return "leadership lost while committing log"
        case .storage(let m): return "raft storage: \(m)"
        case .rejected(let m): return m
        }
    }
}

extension Command {
    /// A lock acquisition (alone or in a transaction): subject to lock-delay.
    var acquiresLocks: Bool {
        switch self {
        case .kvLock: return true
        case .txn(let ops): return ops.contains { if case .kv("lock", _, _, _, _, _) = $0 { return true } else { return false } }
        default: return false
        }
    }
}
