import Platform

/// TCP between simulated hosts: each host sees the fabric through its own `StreamNetwork`
/// (`host(_:)`). Bytes arrive in order after a seeded latency; a partition between two hosts
/// refuses new connections and resets open ones; a host that goes down loses its listeners and
/// connections (its peers see them close). Everything runs on the world's event queue.
public final class SimStreamNetwork {
    let world: SimWorld
    public var latencyNanos: ClosedRange<UInt64> = 200_000...5_000_000
    private var listeners: [SocketAddress: SimStreamListener] = [:]
    private var open: [ObjectIdentifier: SimStream] = [:]
    private var cut: Set<[String]> = []
    private var nextPort = 40_000

    public init(world: SimWorld) { self.world = world }

    /// The fabric as the host with address `ip` sees it.
    public func host(_ ip: String) -> StreamNetwork { SimHostNetwork(fabric: self, ip: ip) }

    public func partition(_ a: String, _ b: String) {
        cut.insert([a, b].sorted())
        for stream in Array(open.values) where stream.joins(a, b) { stream.reset() }
    }

    public func heal() { cut = [] }

    public func canReach(_ a: String, _ b: String) -> Bool { !cut.contains([a, b].sorted()) }

    /// A host stops: its listeners close and its connections are reset.
    public func hostDown(_ ip: String) {
        for (address, listener) in listeners where address.host == ip {
            listener.closed = true
            listeners[address] = nil
        }
        for stream in Array(open.values) where stream.local.host == ip || stream.remote.host == ip { stream.reset() }
    }

    func listen(_ address: SocketAddress, _ onAccept: @escaping (StreamConnection) -> Void) throws -> StreamListener {
        guard listeners[address] == nil else {
            throw NetworkError(operation: "listen tcp", address: address.description, message: "bind: address already in use")
        }
        let listener = SimStreamListener(localAddress: address, onAccept: onAccept) { [weak self] in self?.listeners[address] = nil }
        listeners[address] = listener
        return listener
    }

    func connect(from ip: String, to address: SocketAddress, completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        nextPort += 1
        let local = SocketAddress(host: ip, port: nextPort)
        let delay = world.random.range(latencyNanos.lowerBound, latencyNanos.upperBound)
        world.schedule(after: delay) { [self] in
            guard canReach(ip, address.host), let listener = listeners[address], !listener.closed else {
                return completion(.failure(NetworkError(operation: "dial tcp", address: address.description, message: "connect: connection refused")))
            }
            let client = SimStream(fabric: self, local: local, remote: address)
            let server = SimStream(fabric: self, local: address, remote: local)
            client.peer = server
            server.peer = client
            open[ObjectIdentifier(client)] = client
            open[ObjectIdentifier(server)] = server
            listener.onAccept(server)
            completion(.success(client))
        }
    }

    func forget(_ stream: SimStream) { open[ObjectIdentifier(stream)] = nil }

    /// When bytes written now arrive: after a seeded latency, never before earlier bytes.
    func arrival(after previous: UInt64) -> UInt64 {
        max(previous, world.now + world.random.range(latencyNanos.lowerBound, latencyNanos.upperBound))
    }
}

/// One host's view of the fabric.
final class SimHostNetwork: StreamNetwork {
    let fabric: SimStreamNetwork
    let ip: String
    init(fabric: SimStreamNetwork, ip: String) { self.fabric = fabric; self.ip = ip }

    func listen(on address: SocketAddress, backlog: Int, onAccept: @escaping (StreamConnection) -> Void) throws -> StreamListener {
        try fabric.listen(SocketAddress(host: ip, port: address.port), onAccept)
    }

    func connect(to address: SocketAddress, timeoutNanoseconds: UInt64,
                 completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        fabric.connect(from: ip, to: address, completion: completion)
    }
}

final class SimStreamListener: StreamListener {
    let localAddress: SocketAddress
    let onAccept: (StreamConnection) -> Void
    var closed = false
    private let onClose: () -> Void
    init(localAddress: SocketAddress, onAccept: @escaping (StreamConnection) -> Void, onClose: @escaping () -> Void) {
        self.localAddress = localAddress
        self.onAccept = onAccept
        self.onClose = onClose
    }
    func close() {
        guard !closed else { return }
        closed = true
        onClose()
    }
}

/// One end of a simulated connection.
final class SimStream: StreamConnection {
    weak var delegate: StreamConnectionDelegate?
    let local: SocketAddress
    let remote: SocketAddress
    weak var peer: SimStream?
    private unowned let fabric: SimStreamNetwork
    private var closed = false
    private var lastArrival: UInt64 = 0
    private var paused = false
    private var held: [[UInt8]] = []

    init(fabric: SimStreamNetwork, local: SocketAddress, remote: SocketAddress) {
        self.fabric = fabric
        self.local = local
        self.remote = remote
    }

    var remoteAddress: SocketAddress? { remote }
    var pendingWriteBytes: Int { 0 }

    func joins(_ a: String, _ b: String) -> Bool { [local.host, remote.host].sorted() == [a, b].sorted() }

    func write(_ bytes: [UInt8]) {
        guard !closed, let peer, !bytes.isEmpty else { return }
        lastArrival = fabric.arrival(after: lastArrival)
        fabric.world.schedule(at: lastArrival) { [weak peer] in peer?.receive(bytes) }
    }

    private func receive(_ bytes: [UInt8]) {
        guard !closed else { return }
        if paused { return held.append(bytes) }
        bytes.withUnsafeBytes { delegate?.connection(self, didRead: $0) }
    }

    func pauseReading() { paused = true }

    func resumeReading() {
        paused = false
        let pending = held
        held = []
        for bytes in pending { receive(bytes) }
    }

    /// Closes after what was written has arrived; the peer sees the close then.
    func close() {
        guard !closed else { return }
        let at = fabric.arrival(after: lastArrival)
        finish()
        fabric.world.schedule(at: at) { [weak peer] in peer?.finish() }
    }

    /// A reset: both ends close now.
    func reset() {
        let other = peer
        finish()
        other?.finish()
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        fabric.forget(self)
        delegate?.connectionDidClose(self)
    }
}
