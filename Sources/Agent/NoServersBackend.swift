import ConsulState
import HTTPAPI

/// The backend of a client agent that knows no server yet: every read and write fails the way
/// Consul's does. Gossip (which discovers servers) replaces it with RPC forwarding.
public final class NoServersBackend: ConsulBackend {
    public let store = StateStore()
    public init() {}

    public func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        completion(.failure(.other("No known Consul servers")))
    }

    public func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        completion(.failure(.other("No known Consul servers")))
    }
}
