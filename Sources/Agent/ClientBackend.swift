import ConsulState
import HTTP1
import HTTPAPI
import Platform
import Server

/// A client agent has no replica: writes (anti-entropy) and every non-agent HTTP request go to
/// a Consul server learned from gossip, over the server RPC. The server list is shuffled; a
/// server that cannot be reached is rotated to the back and the next one tried, until
/// `rpc_hold_timeout` (7 s). No servers known → "No known Consul servers".
public final class ClientBackend: ConsulBackend {
    public let store = StateStore()
    let rpc: ServerRPC
    let clock: EventLoopClock
    private let random: RandomSource
    /// Servers from gossip (role=consul, our datacenter), preferred first.
    private(set) var servers: [SocketAddress] = []
    static let holdTimeoutNanos: UInt64 = 7_000_000_000
    /// Our own registrations as the servers acknowledged them, so anti-entropy can tell what
    /// to deregister (a client keeps no other replica).
    private var mirrorIndex: UInt64 = 0

    /// Called for every request sent to a server (`consul.client.rpc`).
    var onRPC: (() -> Void)?

    public init(rpc: ServerRPC, clock: EventLoopClock, random: RandomSource) {
        self.rpc = rpc
        self.clock = clock
        self.random = random
    }

    /// New gossip view: keep the current order for known servers, add new ones at random places.
    public func updateServers(_ alive: [SocketAddress]) {
        var next = servers.filter { alive.contains($0) }
        for s in alive where !next.contains(s) {
            next.insert(s, at: Int(random.next(below: UInt64(next.count + 1))))
        }
        servers = next
    }

    private func rotate(_ failed: SocketAddress) {
        guard let i = servers.firstIndex(of: failed) else { return }
        servers.append(servers.remove(at: i))
    }

    /// Sends `request` to a server, rotating past unreachable ones until the hold timeout.
    /// `forwardTimeout`: how long one try may take once sent (forwarded HTTP requests: their
    /// blocking wait and a margin); nil = what is left of the hold timeout.
    func call(_ request: RPCRequest, deadline: Instant? = nil, forwardTimeout: UInt64? = nil,
              completion: @escaping (Result<[UInt8], BackendError>) -> Void) {
        let until = deadline ?? clock.now.adding(nanoseconds: ClientBackend.holdTimeoutNanos)
        guard let server = servers.first else {
            guard clock.now.adding(nanoseconds: 200_000_000) < until else { return completion(.failure(.other("No known Consul servers"))) }
            clock.schedule(after: 200_000_000) { [weak self] in
                self?.call(request, deadline: until, forwardTimeout: forwardTimeout, completion: completion)
            }
            return
        }
        let remaining = until.nanoseconds > clock.now.nanoseconds ? until.nanoseconds - clock.now.nanoseconds : 1
        let timeout = forwardTimeout ?? remaining
        onRPC?()
        rpc.call(server, request, timeoutNanos: timeout) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let body): completion(.success(body))
            case .failure(.unreachable):
                self.rotate(server)
                guard self.clock.now < until else { return completion(.failure(.other("rpc error: no server reachable"))) }
                self.clock.schedule(after: 50_000_000) {
                    self.call(request, deadline: until, forwardTimeout: forwardTimeout, completion: completion)
                }
            case .failure(.remote(.noLeader, _)):
                completion(.failure(.noLeader))
            case .failure(let error):
                self.rotate(server)
                completion(.failure(.other(error.description)))
            }
        }
    }

    public func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        call(RPCRequest(method: .apply, deadlineMilliseconds: 7000, body: command.encoded)) { [self] result in
            switch result {
            case .success(let body):
                guard let r = try? RPCReplyCodec.decodeCommandResult(body) else { return completion(.failure(.other("malformed reply"))) }
                if case .bool = r {
                    self.mirrorIndex += 1
                    _ = try? self.store.apply(encoded: command.encoded, at: self.mirrorIndex)
                }
                completion(.success(r))
            case .failure(let e): completion(.failure(e))
            }
        }
    }

    /// Local reads on a client (anti-entropy's view of the catalog) see an empty replica; the
    /// HTTP API's reads never get here, they are forwarded whole (`forward`).
    public func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        completion(.failure(.other("No known Consul servers")))
    }

    /// Runs an HTTP request on a server and hands back its response.
    public func forward(_ request: HTTPRequest, completion: @escaping (HTTPResponse) -> Void) {
        call(RPCRequest(method: .forwardHTTP, deadlineMilliseconds: 0, body: ForwardedHTTP.encode(request)),
             forwardTimeout: ForwardedHTTP.timeoutNanoseconds(for: request)) { result in
            switch result {
            case .success(let body):
                completion((try? ForwardedHTTP.decodeResponse(body)) ?? .text(500, "malformed response from server"))
            case .failure(let e):
                completion(.text(500, e.message))
            }
        }
    }
}
