import Platform

/// The agent's DNS port: UDP datagrams and TCP (two-byte length-prefixed messages, several per
/// connection), each query answered by `respond(query, overTCP, reply)`. `reply` may run at once
/// or later on the loop (forwarded queries); nil means send nothing (over TCP: close). Transport
/// only; the answers come from the DNS module.
final class DNSListener: DatagramSocketDelegate {
    typealias Respond = (_ query: [UInt8], _ overTCP: Bool, _ reply: @escaping ([UInt8]?) -> Void) -> Void
    private let respond: Respond
    private var udp: [DatagramSocket] = []
    private var tcp: [StreamListener] = []
    private var connections: [ObjectIdentifier: DNSTCPConnection] = [:]

    init(respond: @escaping Respond) { self.respond = respond }

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

    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        respond(Array(bytes), false) { [weak socket] answer in
            guard let answer, let socket else { return }
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
            respond(query, true) { [weak self] answer in
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
