import ConsulState
import HTTPAPI

/// The single-server, in-memory backend of `consul agent -dev` until Raft lands: every command
/// is applied at once at the next index, and this server is always the leader.
/// Raft's driver will replace it behind the same `ConsulBackend` seam.
public final class DevBackend: ConsulBackend {
    public let store: StateStore

    public init(store: StateStore = StateStore()) { self.store = store }

    public func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        completion(.success(store.apply(command, at: store.index + 1)))
    }

    public func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
    }
}
