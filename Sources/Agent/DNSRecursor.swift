import Platform

/// Forwards DNS queries the agent does not own to the configured recursors (agent.md §1.9),
/// on the loop: UDP to each recursor in turn (each try bounded by `timeout`), retried over TCP
/// (two-byte length framing) when the UDP answer is truncated. A reply whose rcode is neither
/// NOERROR nor NXDOMAIN, a timeout or a socket error moves on to the next recursor. The client's
/// ID is restored on the answer it gets; nil means every recursor failed.
final class DNSRecursor {
    let recursors: [SocketAddress]
    let timeoutNanoseconds: UInt64
    private let clock: EventLoopClock
    private let datagrams: DatagramNetwork
    private let streams: StreamNetwork
    private let random: RandomSource
    /// `dns_config.recursor_strategy = "random"`; otherwise in the order configured.
    var randomOrder = false
    private var inFlight: [ObjectIdentifier: AnyObject] = [:]

    init(recursors: [SocketAddress], timeoutNanoseconds: UInt64, clock: EventLoopClock,
         datagrams: DatagramNetwork, streams: StreamNetwork, random: RandomSource) {
        self.recursors = recursors
        self.timeoutNanoseconds = timeoutNanoseconds
        self.clock = clock
        self.datagrams = datagrams
        self.streams = streams
        self.random = random
    }

    /// Forwards `query` (a complete DNS message); `completion` runs once on the loop.
    func forward(_ query: [UInt8], completion: @escaping ([UInt8]?) -> Void) {
        guard query.count >= 12 else { completion(nil); return }
        let clientID = (query[0], query[1])
        var order = Array(recursors.indices)
        if randomOrder {
            // `recursor_strategy = "random"`: a fresh order for every query (Fisher–Yates).
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(random.nextUInt64() % UInt64(i + 1)))
            }
        }
        attempt(index: 0, order: order, query: query) { answer in
            guard var answer else { completion(nil); return }
            answer[0] = clientID.0
            answer[1] = clientID.1
            completion(answer)
        }
    }

    private func attempt(index: Int, order: [Int], query: [UInt8], completion: @escaping ([UInt8]?) -> Void) {
        guard index < order.count else { completion(nil); return }
        let next = { [weak self] in
            guard let self else { completion(nil); return }
            self.attempt(index: index + 1, order: order, query: query, completion: completion)
        }
        var upstream = query
        let id = UInt16(truncatingIfNeeded: random.nextUInt64())
        upstream[0] = UInt8(id >> 8)
        upstream[1] = UInt8(id & 0xFF)
        let address = recursors[order[index]]
        exchangeUDP(upstream, id: id, with: address) { [weak self] answer in
            guard let self, let answer, DNSRecursor.acceptable(answer) else { next(); return }
            guard answer[2] & 0x02 != 0 else { completion(answer); return }
            self.exchangeTCP(upstream, id: id, with: address) { tcpAnswer in
                if let tcpAnswer, DNSRecursor.acceptable(tcpAnswer) { completion(tcpAnswer) } else { next() }
            }
        }
    }

    /// NOERROR or NXDOMAIN.
    static func acceptable(_ answer: [UInt8]) -> Bool {
        let rcode = answer[3] & 0x0F
        return rcode == 0 || rcode == 3
    }

    /// A response to `id`: at least a header, QR set, the ID we sent.
    static func matches(_ bytes: [UInt8], id: UInt16) -> Bool {
        bytes.count >= 12 && bytes[2] & 0x80 != 0 && (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) == id
    }

    private func track(_ object: AnyObject) { inFlight[ObjectIdentifier(object)] = object }
    private func untrack(_ object: AnyObject) { inFlight[ObjectIdentifier(object)] = nil }

    private func exchangeUDP(_ query: [UInt8], id: UInt16, with address: SocketAddress,
                             completion: @escaping ([UInt8]?) -> Void) {
        let local = SocketAddress(host: address.host.contains(":") ? "::" : "0.0.0.0", port: 0)
        let socket: DatagramSocket
        do { socket = try datagrams.bind(local: local, peer: address) } catch { completion(nil); return }
        let exchange = UDPExchange(socket: socket, id: id)
        track(exchange)
        exchange.finish = { [weak self, unowned exchange] answer in
            exchange.timer?.cancel()
            exchange.socket.delegate = nil
            exchange.socket.close()
            self?.untrack(exchange)
            completion(answer)
        }
        socket.delegate = exchange
        exchange.timer = clock.schedule(after: timeoutNanoseconds) { [weak exchange] in exchange?.complete(nil) }
        do { try socket.send(query, to: nil) } catch { exchange.complete(nil) }
    }

    private func exchangeTCP(_ query: [UInt8], id: UInt16, with address: SocketAddress,
                             completion: @escaping ([UInt8]?) -> Void) {
        guard query.count <= 65535 else { completion(nil); return }
        let exchange = TCPExchange(id: id)
        track(exchange)
        exchange.finish = { [weak self, unowned exchange] answer in
            exchange.timer?.cancel()
            exchange.connection?.delegate = nil
            exchange.connection?.close()
            self?.untrack(exchange)
            completion(answer)
        }
        exchange.timer = clock.schedule(after: timeoutNanoseconds) { [weak exchange] in exchange?.complete(nil) }
        streams.connect(to: address, timeoutNanoseconds: timeoutNanoseconds) { [weak exchange] result in
            guard let exchange, !exchange.done else {
                if case .success(let c) = result { c.close() }
                return
            }
            switch result {
            case .failure: exchange.complete(nil)
            case .success(let connection):
                exchange.connection = connection
                connection.delegate = exchange
                connection.write([UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query)
            }
        }
    }
}

/// One UDP question to one recursor.
private final class UDPExchange: DatagramSocketDelegate {
    let socket: DatagramSocket
    let id: UInt16
    var timer: TimerHandle?
    var finish: (([UInt8]?) -> Void)?
    init(socket: DatagramSocket, id: UInt16) { self.socket = socket; self.id = id }

    func complete(_ answer: [UInt8]?) {
        guard let f = finish else { return }
        finish = nil
        f(answer)
    }

    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        let b = Array(bytes)
        if DNSRecursor.matches(b, id: id) { complete(b) }   // anything else: keep waiting
    }

    func socket(_ socket: DatagramSocket, didFail error: NetworkError) { complete(nil) }
}

/// One TCP question to one recursor.
private final class TCPExchange: StreamConnectionDelegate {
    let id: UInt16
    var connection: StreamConnection?
    var timer: TimerHandle?
    var finish: (([UInt8]?) -> Void)?
    var buffer: [UInt8] = []
    var done: Bool { finish == nil }
    init(id: UInt16) { self.id = id }

    func complete(_ answer: [UInt8]?) {
        guard let f = finish else { return }
        finish = nil
        f(answer)
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        guard buffer.count >= 2 else { return }
        let length = Int(buffer[0]) << 8 | Int(buffer[1])
        guard buffer.count >= 2 + length else { return }
        let message = Array(buffer[2..<(2 + length)])
        complete(DNSRecursor.matches(message, id: id) ? message : nil)
    }

    func connectionDidClose(_ connection: StreamConnection) { complete(nil) }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}
