import Platform
import Raft

/// What a server answers on its RPC port (the Agent implements it over its Raft node).
public protocol RPCHandler: AnyObject {
    func handleRaft(_ message: Message)
    func handleRequest(_ request: RPCRequest, from peer: SocketAddress?, reply: @escaping (RPCResponse) -> Void)
}

/// Why a call did not get an answer.
public enum RPCCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing was sent (dial failed): safe to retry anywhere.
    case unreachable(String)
    /// The connection broke after the request was written: it may or may not have run.
    case connectionLost(String)
    case timeout
    case remote(RPCErrorCode, String)
    public var description: String {
        switch self {
        case .unreachable(let why), .connectionLost(let why): return "rpc error: \(why)"
        case .timeout: return "rpc error: timeout"
        case .remote(_, let message): return message
        }
    }
}

/// The server port: accepts peers' connections (Raft messages and requests in, responses out)
/// and keeps one outbound connection per peer (our Raft messages and requests out, responses in).
/// Frames and payloads: docs/rpc.md. Loop-confined.
public final class ServerRPC: RaftTransport {
    private let network: StreamNetwork
    private let clock: EventLoopClock
    /// Where a server ID listens (learned from gossip); nil = unknown for now.
    public var resolve: (ServerID) -> SocketAddress? = { _ in nil }
    public weak var handler: RPCHandler?
    private var listener: StreamListener?
    private var inbound: [ObjectIdentifier: RPCInboundConnection] = [:]
    private var peers: [SocketAddress: RPCPeer] = [:]
    public private(set) var droppedRaftMessages = 0

    public init(network: StreamNetwork, clock: EventLoopClock) {
        self.network = network
        self.clock = clock
    }

    public func listen(on address: SocketAddress) throws {
        listener = try network.listen(on: address, backlog: 128) { [weak self] stream in
            guard let self else { stream.close(); return }
            let connection = RPCInboundConnection(stream: stream, rpc: self)
            self.inbound[ObjectIdentifier(connection)] = connection
        }
    }

    public var listenAddress: SocketAddress? { listener?.localAddress }

    public func stop() {
        listener?.close()
        for c in inbound.values { c.close() }
        for p in peers.values { p.close() }
        inbound = [:]
        peers = [:]
    }

    // MARK: RaftTransport

    /// Best effort: a message for an unknown or unreachable peer is dropped (Raft retries).
    public func send(_ message: Message) {
        guard let address = resolve(message.to) else { droppedRaftMessages += 1; return }
        let frame = RPCFrame(kind: .raft, id: 0, payload: RaftMessageCodec.encode(message))
        if !peer(address).sendOneWay(frame) { droppedRaftMessages += 1 }
    }

    /// A request to the server at `address`; `completion` runs exactly once on the loop.
    public func call(_ address: SocketAddress, _ request: RPCRequest, timeoutNanos: UInt64,
                     completion: @escaping (Result<[UInt8], RPCCallError>) -> Void) {
        peer(address).call(request, timeoutNanos: timeoutNanos, completion: completion)
    }

    private func peer(_ address: SocketAddress) -> RPCPeer {
        if let existing = peers[address] { return existing }
        let created = RPCPeer(address: address, network: network, clock: clock)
        peers[address] = created
        return created
    }

    fileprivate func inboundClosed(_ c: RPCInboundConnection) { inbound[ObjectIdentifier(c)] = nil }

    fileprivate func inboundFrame(_ frame: RPCFrame, on connection: RPCInboundConnection) throws(RPCDecodeError) {
        switch frame.kind {
        case .raft:
            handler?.handleRaft(try RaftMessageCodec.decode(frame.payload))
        case .request:
            let id = frame.id
            guard let request = try? RPCRequest.decode(frame.payload) else {
                connection.write(RPCFrame(kind: .response, id: id, payload: RPCResponse.error(code: .badRequest, message: "malformed request").encode()))
                return
            }
            guard let handler else {
                connection.write(RPCFrame(kind: .response, id: id, payload: RPCResponse.error(code: .internal, message: "server stopping").encode()))
                return
            }
            handler.handleRequest(request, from: connection.remote) { [weak connection] response in
                connection?.write(RPCFrame(kind: .response, id: id, payload: response.encode()))
            }
        case .response:
            throw .malformed("response frame on an inbound connection")
        }
    }
}

/// A peer's connection to us: preamble, then frames.
final class RPCInboundConnection: StreamConnectionDelegate {
    private let stream: StreamConnection
    private weak var rpc: ServerRPC?
    /// Peers open with the "SCR1" preamble (docs/rpc.md); anything else is closed.
    private var decoder = RPCFrameDecoder(expectsPreamble: true)
    private var closed = false
    var remote: SocketAddress? { stream.remoteAddress }

    init(stream: StreamConnection, rpc: ServerRPC) {
        self.stream = stream
        self.rpc = rpc
        stream.delegate = self
    }

    func write(_ frame: RPCFrame) { if !closed { stream.write(frame.encode()) } }
    func close() { closed = true; stream.close() }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        decoder.append(bytes)
        do {
            while let frame = try decoder.next() {
                try rpc?.inboundFrame(frame, on: self)
                if closed { return }
            }
        } catch {
            close()
        }
    }

    func connectionDidClose(_ connection: StreamConnection) {
        closed = true
        rpc?.inboundClosed(self)
    }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}

/// Our connection to one peer: dialled on demand, re-dialled with backoff after failures.
/// Requests wait for the connection (bounded by their deadline); Raft messages do not.
final class RPCPeer: StreamConnectionDelegate {
    let address: SocketAddress
    private let network: StreamNetwork
    private let clock: EventLoopClock
    private var stream: StreamConnection?
    private var connecting = false
    private var decoder = RPCFrameDecoder()
    private var nextID: UInt64 = 1
    private var pending: [UInt64: (timer: TimerHandle, completion: (Result<[UInt8], RPCCallError>) -> Void)] = [:]
    /// Requests written once the connection is up.
    private var waiting: [RPCFrame] = []
    private var backoffNanos: UInt64 = 0
    private var retryAt: Instant?
    static let backoffMin: UInt64 = 50_000_000
    static let backoffMax: UInt64 = 2_000_000_000
    /// Unsent bytes beyond this mean the peer is not keeping up; Raft messages are dropped.
    static let pendingWriteBytesMax = 32 * 1024 * 1024

    init(address: SocketAddress, network: StreamNetwork, clock: EventLoopClock) {
        self.address = address
        self.network = network
        self.clock = clock
    }

    func sendOneWay(_ frame: RPCFrame) -> Bool {
        guard let stream else { dial(); return false }
        guard stream.pendingWriteBytes < RPCPeer.pendingWriteBytesMax else { return false }
        stream.write(frame.encode())
        return true
    }

    func call(_ request: RPCRequest, timeoutNanos: UInt64, completion: @escaping (Result<[UInt8], RPCCallError>) -> Void) {
        let id = nextID
        nextID += 1
        let timer = clock.schedule(after: timeoutNanos) { [weak self] in
            guard let self, let entry = self.pending.removeValue(forKey: id) else { return }
            self.waiting.removeAll { $0.id == id }
            entry.completion(.failure(.timeout))
        }
        pending[id] = (timer, completion)
        let frame = RPCFrame(kind: .request, id: id, payload: request.encode())
        if let stream { stream.write(frame.encode()) } else { waiting.append(frame); dial() }
    }

    func close() {
        stream?.close()
        stream = nil
        failAll(.connectionLost("connection closed"))
    }

    private func dial() {
        guard !connecting, stream == nil else { return }
        if let retryAt, clock.now < retryAt {
            // In backoff: requests keep waiting (their own timers bound them); try again then.
            let delay = retryAt.nanoseconds - clock.now.nanoseconds
            connecting = true
            clock.schedule(after: delay) { [weak self] in
                self?.connecting = false
                self?.retryAt = nil
                if self?.waiting.isEmpty == false { self?.dial() }
            }
            return
        }
        connecting = true
        network.connect(to: address, timeoutNanoseconds: 2_000_000_000) { [weak self] result in
            guard let self else { return }
            self.connecting = false
            switch result {
            case .success(let connection):
                self.backoffNanos = 0
                self.stream = connection
                self.decoder = RPCFrameDecoder()
                connection.delegate = self
                connection.write(RPCPreamble.bytes)
                for frame in self.waiting { connection.write(frame.encode()) }
                self.waiting = []
            case .failure(let error):
                self.backoffNanos = min(RPCPeer.backoffMax, max(RPCPeer.backoffMin, self.backoffNanos * 2))
                self.retryAt = self.clock.now.adding(nanoseconds: self.backoffNanos)
                // Waiting requests fail fast so callers can try another server.
                let failed = self.waiting.map(\.id)
                self.waiting = []
                for id in failed {
                    if let entry = self.pending.removeValue(forKey: id) {
                        entry.timer.cancel()
                        entry.completion(.failure(.unreachable(error.description)))
                    }
                }
            }
        }
    }

    private func failAll(_ error: RPCCallError) {
        let all = pending
        pending = [:]
        waiting = []
        for (_, entry) in all {
            entry.timer.cancel()
            entry.completion(.failure(error))
        }
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        do {
            while let frame = try decoder.next() {
                guard frame.kind == .response, let entry = pending.removeValue(forKey: frame.id) else { continue }
                entry.timer.cancel()
                switch try RPCResponse.decode(frame.payload) {
                case .ok(let body): entry.completion(.success(body))
                case .error(let code, let message): entry.completion(.failure(.remote(code, message)))
                }
            }
        } catch {
            connection.close()
        }
    }

    func connectionDidClose(_ connection: StreamConnection) {
        guard stream === connection else { return }
        stream = nil
        backoffNanos = min(RPCPeer.backoffMax, max(RPCPeer.backoffMin, backoffNanos * 2))
        retryAt = clock.now.adding(nanoseconds: backoffNanos)
        failAll(.connectionLost("connection to \(address) lost"))
    }

    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}
