import DNS
import Platform

/// The agent's DNS port: UDP datagrams and TCP (two-byte length-prefixed messages, several per
/// connection), each query answered by `respond(query, overTCP, reply)`. `reply` may run at once
/// or later on the loop (forwarded queries); nil means send nothing (over TCP: close). Transport
/// only; the answers come from the DNS module.
final class DNSListener: DatagramSocketDelegate {
    /// `reply(answer, cacheable)`: cacheable answers came from the catalog (not a recursor).
    typealias Respond = (_ query: [UInt8], _ overTCP: Bool, _ reply: @escaping ([UInt8]?, Bool) -> Void) -> Void
    private let respond: Respond
    private var udp: [DatagramSocket] = []
    private var tcp: [StreamListener] = []
    private var connections: [ObjectIdentifier: DNSTCPConnection] = [:]
    /// Repeated UDP queries are answered from here (see DNSAnswerCache) — no parse, no allocation.
    private var cache = DNSAnswerCache()
    private let stamp: () -> DNSAnswerCache.Stamp
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)

    init(stamp: @escaping () -> DNSAnswerCache.Stamp, respond: @escaping Respond) {
        self.stamp = stamp
        self.respond = respond
    }

    deinit { scratch.deallocate() }

    func listen(on address: SocketAddress, datagrams: DatagramNetwork, streams: StreamNetwork) throws {
        let socket = try datagrams.bind(local: address, peer: nil)
        socket.delegate = self
        udp.append(socket)
        tcp.append(try streams.listen(on: address, backlog: 128) { [weak self] stream in
            guard let self else { return }
            let connection = DNSTCPConnection(stream: stream, respond: self.respond) { [weak self] c in
                self?.connections[ObjectIdentifier(c)] = nil
            }
            self.connections[ObjectIdentifier(connection)] = connection
        })
    }

    var addresses: [SocketAddress] { udp.map(\.localAddress) }

    func close() {
        for s in udp { s.close() }
        for l in tcp { l.close() }
        udp = []
        tcp = []
    }

    func socket(_ socket: DatagramSocket, answerNow bytes: UnsafeRawBufferPointer,
                reply: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let length = cache.answer(bytes, stamp: stamp(), into: scratch) else { return false }
        reply(UnsafeRawBufferPointer(rebasing: scratch[..<length]))
        return true
    }

    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        let query = Array(bytes)
        let stampAtQuery = stamp()
        respond(query, false) { [weak self, weak socket] answer, cacheable in
            guard let answer, let socket else { return }
            if cacheable, let self, self.stamp() == stampAtQuery { self.cache.store(query: query, answer: answer, stamp: stampAtQuery) }
            try? socket.send(answer, to: sender)
        }
    }

    func socket(_ socket: DatagramSocket, didFail error: NetworkError) {}
}

/// One DNS-over-TCP client: reads length-prefixed queries, writes length-prefixed answers.
final class DNSTCPConnection: StreamConnectionDelegate {
    static let bufferedBytesMax = 128 * 1024
    private let stream: StreamConnection
    private let respond: DNSListener.Respond
    private let onClose: (DNSTCPConnection) -> Void
    private var buffer: [UInt8] = []
    private var closed = false

    init(stream: StreamConnection, respond: @escaping DNSListener.Respond, onClose: @escaping (DNSTCPConnection) -> Void) {
        self.stream = stream
        self.respond = respond
        self.onClose = onClose
        stream.delegate = self
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        while buffer.count >= 2 {
            let length = Int(buffer[0]) << 8 | Int(buffer[1])
            guard buffer.count >= 2 + length else { break }
            let query = Array(buffer[2..<(2 + length)])
            buffer.removeFirst(2 + length)
            respond(query, true) { [weak self] answer, _ in
                guard let self, !self.closed else { return }
                if let answer, answer.count <= 65535 {
                    self.stream.write([UInt8(answer.count >> 8), UInt8(answer.count & 0xFF)] + answer)
                } else {
                    self.closed = true
                    self.stream.close()
                }
            }
            if closed { return }
        }
        if buffer.count > DNSTCPConnection.bufferedBytesMax { stream.close() }
    }

    func connectionDidClose(_ connection: StreamConnection) { closed = true; onClose(self) }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}
