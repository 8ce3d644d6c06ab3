import ConsulState
import HTTPAPI
import Raft
import Server

/// The API's backend on a server: writes go through Raft, reads follow Consul's consistency
/// modes — default trusts the leader lease, `?consistent` runs a ReadIndex round, `?stale`
/// answers from the local replica.
public final class RaftBackend: ConsulBackend {
    public let node: RaftNode
    public var store: StateStore { node.store }

    public init(node: RaftNode) { self.node = node }

    public func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        node.propose(command) { result in
            switch result {
            case .success(let r): completion(.success(r))
            case .failure(.notLeader): completion(.failure(.noLeader))
            case .failure(let e): completion(.failure(.other(RaftBackend.describe(e))))
            }
        }
    }

    public func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        let raft = node.raft
        switch consistency {
        case .stale:
            completion(.success(QueryMeta(knownLeader: raft.leader != nil, lastContactMilliseconds: 0)))
        case .default:
            guard raft.role == .leader, raft.hasLeaderLease else { return completion(.failure(.noLeader)) }
            completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
        case .consistent:
            node.linearizableRead { result in
                switch result {
                case .success: completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
                case .failure(.notLeader): completion(.failure(.noLeader))
                case .failure(let e): completion(.failure(.other(RaftBackend.describe(e))))
                }
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
