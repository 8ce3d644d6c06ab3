import Gossip
import Platform

/// Runs one gossip pool (LAN, later WAN) for the agent: binds UDP and TCP on the serf port,
/// feeds datagrams and TCP exchanges to the pure `Serf` core, performs its actions, and arms
/// one loop timer at the core's next deadline. Transport only; every decision is the core's.
/// With a keyring it is also the AES-GCM layer (gossip-wire.md §3.4, §3.5): every datagram and
/// stream message is sealed with the primary key and opened with any installed key.
final class GossipPool: DatagramSocketDelegate {
    let serf: Serf
    private let clock: EventLoopClock
    private let random: RandomSource
    /// Consul's encrypt_verify_incoming / encrypt_verify_outgoing (both default true): off
    /// lets a pool move to encryption one agent at a time.
    let verifyIncoming: Bool
    let verifyOutgoing: Bool
    /// Datagrams dropped because no installed key opened them.
    private(set) var undecryptablePackets = 0
    private var keyringCompletions: [UInt64: (KeyringQueryResult) -> Void] = [:]
    /// A keyring query changed our keys: the composition root persists them (off the loop).
    var onKeyringChange: (Keyring) -> Void = { _ in }
    private let datagrams: DatagramNetwork
    private let streams: StreamNetwork
    private let logger: Logger
    private var socket: DatagramSocket?
    private var listener: StreamListener?
    private var timer: TimerHandle?
    private var timerAt: Instant?
    private var inbound: [ObjectIdentifier: GossipInboundStream] = [:]
    private var outbound: [UInt64: GossipOutboundStream] = [:]
    private var joinCompletions: [UInt64: (Int, [String]) -> Void] = [:]
    private var stopped = false
    /// Application-level member events (join, leave, failed, update, reap, user events).
    var onEvent: (SerfEvent) -> Void = { _ in }
    /// `memberlist.gossip`: how long a tick that ran a gossip round took, sends included.
    var onGossipRound: (UInt64) -> Void = { _ in }
    /// `memberlist.probeNode`: each finished probe's duration.
    var onProbe: (UInt64) -> Void = { _ in }

    init(serf: Serf, clock: EventLoopClock, random: RandomSource, datagrams: DatagramNetwork, streams: StreamNetwork, logger: Logger,
         verifyIncoming: Bool = true, verifyOutgoing: Bool = true) {
        self.serf = serf
        self.clock = clock
        self.random = random
        self.verifyIncoming = verifyIncoming
        self.verifyOutgoing = verifyOutgoing
        // Piggy-backed broadcasts must leave room for the seal.
        if serf.keyring != nil && verifyOutgoing { serf.memberlist.encryptionOverhead = GossipEncryption.datagramOverhead }
        self.datagrams = datagrams
        self.streams = streams
        self.logger = logger
    }

    /// Binds UDP and TCP on the same address (memberlist uses one port for both).
    func start(bind: SocketAddress) throws {
        let udp = try datagrams.bind(local: bind, peer: nil)
        udp.delegate = self
        socket = udp
        listener = try streams.listen(on: bind, backlog: 128) { [weak self] stream in
            guard let self else { stream.close(); return }
            let connection = GossipInboundStream(stream: stream, pool: self)
            self.inbound[ObjectIdentifier(connection)] = connection
        }
        pump()
    }

    var boundAddress: SocketAddress? { socket?.localAddress }

    func stop() {
        stopped = true
        timer?.cancel()
        socket?.close()
        listener?.close()
        for connection in inbound.values { connection.close() }
        for connection in outbound.values { connection.cancel() }
        inbound = [:]
        outbound = [:]
    }

    /// Push/pull join through each address; `completion(joined, errors)`.
    func join(_ addresses: [SocketAddress], completion: @escaping (Int, [String]) -> Void) {
        let id = serf.join(addresses, ignoreOld: true, now: clock.now)
        joinCompletions[id] = completion
        pump()
    }

    /// Graceful leave: the leave intent, time for it to spread, memberlist's own dead-self
    /// message, time for that too; then `completion`. Bounded by serf's broadcast timeout (5 s)
    /// and leave propagation delay (3 s).
    func leave(completion: @escaping () -> Void) {
        serf.leave(now: clock.now)
        pump()
        waitUntil(deadline: clock.now.adding(nanoseconds: 5_000_000_000), done: { [serf] in serf.pendingIntents == 0 || !serf.memberlist.hasLivePeers }) { [weak self] in
            guard let self else { return completion() }
            self.serf.memberlist.leave(now: self.clock.now)
            self.pump()
            self.waitUntil(deadline: self.clock.now.adding(nanoseconds: 3_000_000_000),
                           done: { [serf] in serf.memberlist.pendingBroadcasts == 0 || !serf.memberlist.hasLivePeers }, then: completion)
        }
    }

    private func waitUntil(deadline: Instant, done: @escaping () -> Bool, then: @escaping () -> Void) {
        if done() || clock.now >= deadline || stopped { return then() }
        clock.schedule(after: 50_000_000) { [weak self] in
            guard let self else { return then() }
            self.waitUntil(deadline: deadline, done: done, then: then)
        }
    }

    func forceLeave(_ node: String, prune: Bool) -> Bool {
        defer { pump() }
        return serf.forceLeave(node, prune: prune, now: clock.now)
    }

    func userEvent(name: String, payload: [UInt8]) throws {
        defer { pump() }
        try serf.userEvent(name: name, payload: payload, coalesce: false, now: clock.now)
    }

    /// Broadcasts a keyring query; `completion` runs on the loop when every live member answered
    /// or the query timed out.
    func keyringQuery(_ operation: KeyringOperation, key: [UInt8], completion: @escaping (KeyringQueryResult) -> Void) {
        let handle = serf.keyringQuery(operation, key: key, now: clock.now)
        keyringCompletions[handle] = completion
        pump()
    }

    // MARK: Encryption

    private var sealing: Keyring? { verifyOutgoing ? serf.keyring : nil }

    private func nonce() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(GossipEncryption.nonceBytes)
        let a = random.nextUInt64(), b = random.nextUInt64()
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: a >> (8 * i))) }
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: b >> (8 * i))) }
        return out
    }

    /// A stream message as it goes on the wire: sealed in a frame when we encrypt.
    fileprivate func wireStream(_ bytes: [UInt8]) -> [UInt8] {
        guard let keyring = sealing else { return bytes }
        return GossipEncryption.sealStream(bytes, key: keyring.primaryKey, nonce: nonce())
    }

    /// One stream message from the buffered bytes, opened when it is a frame; nil = need more.
    fileprivate func readStream(_ buffer: [UInt8]) throws -> MemberlistMessage? {
        try GossipEncryption.decodeStreamMessage(buffer, keyring: serf.keyring, verifyIncoming: verifyIncoming)
    }

    // MARK: Datagrams

    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        var packet = Array(bytes)
        if let keyring = serf.keyring {
            do {
                packet = try GossipEncryption.openDatagram(packet, keys: keyring.keys)
            } catch {
                // memberlist: without verify-incoming an unopenable datagram is taken as plaintext.
                if verifyIncoming {
                    undecryptablePackets += 1
                    logger.debug("memberlist: Decrypt packet failed", [("error", "\(error)"), ("from", sender.description)])
                    return
                }
            }
        }
        serf.receivePacket(packet, from: sender, now: clock.now)
        pump()
    }

    func socket(_ socket: DatagramSocket, didFail error: NetworkError) {}

    // MARK: Streams

    /// A complete message from an inbound TCP connection: the reply to write, if any.
    fileprivate func inboundMessage(_ message: MemberlistMessage, from sender: SocketAddress) -> [UInt8]? {
        defer { pump() }
        return serf.receiveStream(message, from: sender, now: clock.now)
    }

    fileprivate func inboundClosed(_ connection: GossipInboundStream) {
        inbound[ObjectIdentifier(connection)] = nil
    }

    fileprivate func outboundFinished(id: UInt64, reply: MemberlistMessage?, error: String?) {
        guard outbound.removeValue(forKey: id) != nil else { return }
        serf.streamFinished(id: id, reply: reply, error: error, now: clock.now)
        pump()
    }

    // MARK: Performing the core's actions

    func pump() {
        guard !stopped else { return }
        for action in serf.takeActions() {
            switch action {
            case .sendPacket(let to, let bytes):
                if let keyring = sealing {
                    try? socket?.send(GossipEncryption.sealDatagram(bytes, key: keyring.primaryKey, nonce: nonce()), to: to)
                } else {
                    try? socket?.send(bytes, to: to)
                }
            case .openStream(let id, let to, let bytes, let expectsReply, let timeout):
                outbound[id] = GossipOutboundStream(id: id, to: to, bytes: wireStream(bytes), expectsReply: expectsReply,
                                                    timeoutNanos: timeout, streams: streams, clock: clock, pool: self)
            case .joinFinished(let id, let joined, let errors):
                joinCompletions.removeValue(forKey: id)?(joined, errors)
            case .warning(let text):
                logger.warn(text)
            }
        }
        for event in serf.takeEvents() { onEvent(event) }
        for nanoseconds in serf.memberlist.takeProbeDurations() { onProbe(nanoseconds) }
        for (handle, result) in serf.takeFinishedKeyringQueries() { keyringCompletions.removeValue(forKey: handle)?(result) }
        if let keyring = serf.takeKeyringChange() { onKeyringChange(keyring) }
        let deadline = serf.nextDeadline
        if timerAt == nil || deadline < timerAt! {
            timer?.cancel()
            timerAt = deadline
            let now = clock.now
            let delay = deadline > now ? deadline.nanoseconds - now.nanoseconds : 0
            timer = clock.schedule(after: delay) { [weak self] in
                guard let self, !self.stopped else { return }
                self.timerAt = nil
                let started = self.clock.now
                let rounds = self.serf.memberlist.stats.gossipRounds
                self.serf.tick(now: started)
                self.pump()
                if self.serf.memberlist.stats.gossipRounds != rounds { self.onGossipRound(self.clock.now.nanoseconds &- started.nanoseconds) }
            }
        }
    }
}

/// A peer connected to our gossip port: read one message, answer it, close.
private final class GossipInboundStream: StreamConnectionDelegate {
    static let bufferedBytesMax = 20 * 1024 * 1024
    private let stream: StreamConnection
    private weak var pool: GossipPool?
    private var buffer: [UInt8] = []
    private var done = false

    init(stream: StreamConnection, pool: GossipPool) {
        self.stream = stream
        self.pool = pool
        stream.delegate = self
    }

    func close() { stream.close() }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        buffer.append(contentsOf: bytes)
        guard let pool else { return fail("shutting down") }
        do {
            guard let message = try pool.readStream(buffer) else {
                if buffer.count > Self.bufferedBytesMax + GossipEncryption.streamOverhead { fail("message too large") }
                return
            }
            done = true
            if let reply = pool.inboundMessage(message, from: connection.remoteAddress ?? SocketAddress(host: "0.0.0.0", port: 0)) {
                stream.write(pool.wireStream(reply))
            }
            stream.close()
        } catch {
            fail("\(error)")
        }
    }

    private func fail(_ reason: String) {
        done = true
        let reply = MemberlistCodec.encodeStream(.err(reason), compress: true)
        stream.write(pool?.wireStream(reply) ?? reply)
        stream.close()
    }

    func connectionDidClose(_ connection: StreamConnection) { pool?.inboundClosed(self) }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}

/// One exchange we started: connect, write, (read one reply), report — within a deadline.
private final class GossipOutboundStream: StreamConnectionDelegate {
    let id: UInt64
    private weak var pool: GossipPool?
    private let expectsReply: Bool
    private var stream: StreamConnection?
    private var buffer: [UInt8] = []
    private var finished = false
    private var deadline: TimerHandle?

    init(id: UInt64, to: SocketAddress, bytes: [UInt8], expectsReply: Bool, timeoutNanos: UInt64,
         streams: StreamNetwork, clock: EventLoopClock, pool: GossipPool) {
        self.id = id
        self.pool = pool
        self.expectsReply = expectsReply
        deadline = clock.schedule(after: max(timeoutNanos, 1_000_000)) { [weak self] in self?.finish(nil, "i/o timeout") }
        streams.connect(to: to, timeoutNanoseconds: timeoutNanos) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error):
                self.finish(nil, error.message)
            case .success(let connection):
                guard !self.finished else { connection.close(); return }
                self.stream = connection
                connection.delegate = self
                connection.write(bytes)
                if !expectsReply { self.finish(nil, nil) }
            }
        }
    }

    func cancel() {
        finished = true
        deadline?.cancel()
        stream?.close()
    }

    private func finish(_ reply: MemberlistMessage?, _ error: String?) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        stream?.close()
        pool?.outboundFinished(id: id, reply: reply, error: error)
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard !finished else { return }
        buffer.append(contentsOf: bytes)
        do {
            guard let pool else { return finish(nil, "shutting down") }
            if let message = try pool.readStream(buffer) { finish(message, nil) }
        } catch {
            finish(nil, "\(error)")
        }
    }

    func connectionDidClose(_ connection: StreamConnection) { finish(nil, "EOF") }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}
