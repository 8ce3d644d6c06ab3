import HTTP1
import Platform

/// Serves HTTP/1.1 on a stream listener: parses requests, hands them to a handler one at a time
/// per connection (pipelined requests wait their turn, so answers stay in order), writes
/// responses, and enforces keep-alive, size limits and idle timeouts.
public final class HTTPServer {
    public struct Settings: Sendable {
        public var limits = HTTPLimits()
        /// A connection with no request in progress is closed after this long. Blocking queries
        /// (up to 10 minutes + jitter) are requests in progress, so they are never cut.
        public var idleTimeoutNanoseconds: UInt64 = 15 * 60 * 1_000_000_000
        /// Stop reading from a client while this many response bytes wait for it.
        public var writeHighWaterBytes = 4 << 20
        /// `limits.http_max_conns_per_client`: open connections one client IP may hold (0: no
        /// limit); beyond it a connection gets Consul's 429 and is closed.
        public var maxConnectionsPerClient = 0
        public init() {}
    }

    public typealias Handler = (HTTPRequest, Responder) -> Void
    /// Bytes a client may send ahead while its previous request is still being answered.
    static let pipelinedBytesMax = 1 << 20

    private let network: StreamNetwork
    private let clock: EventLoopClock
    private let settings: Settings
    private let handler: Handler
    private var listeners: [StreamListener] = []
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    /// Open connections per client IP (kept only when a per-client limit is set).
    private var perClient: [String: Int] = [:]
    private var refused: [ObjectIdentifier: RefusedConnection] = [:]
    private var sweepTimer: TimerHandle?
    private var cachedDate = ""
    private var cachedDateSecond: Int64 = -1

    public init(network: StreamNetwork, clock: EventLoopClock, settings: Settings = Settings(), handler: @escaping Handler) {
        self.network = network
        self.clock = clock
        self.settings = settings
        self.handler = handler
    }

    public var listenAddresses: [SocketAddress] { listeners.map(\.localAddress) }
    public var connectionCount: Int { connections.count }

    public func listen(on address: SocketAddress) throws {
        let listener = try network.listen(on: address, backlog: 1024) { [weak self] stream in
            self?.accept(stream)
        }
        listeners.append(listener)
        if sweepTimer == nil { scheduleSweep() }
    }

    /// Stops accepting and closes every connection.
    public func shutdown() {
        for l in listeners { l.close() }
        listeners = []
        sweepTimer?.cancel()
        sweepTimer = nil
        for c in connections.values { c.close() }
    }

    /// The `Date` header value, formatted at most once per second.
    func dateHeader() -> String {
        let second = clock.wallClockNanoseconds / 1_000_000_000
        if second != cachedDateSecond {
            cachedDateSecond = second
            cachedDate = HTTPDate.format(unixSeconds: second)
        }
        return cachedDate
    }

    /// go connlimit's answer (what Consul sends): the whole response, then the close.
    static let tooManyConnections: [UInt8] = {
        let message = "Your IP is issuing too many concurrent connections, please rate limit your calls\n"
        return Array(("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: \(message.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + message).utf8)
    }()

    private func accept(_ stream: StreamConnection) {
        let limit = settings.maxConnectionsPerClient
        let client = limit > 0 ? stream.remoteAddress?.host ?? "" : ""
        if limit > 0 {
            if perClient[client, default: 0] >= limit {
                let refusal = RefusedConnection(stream: stream) { [weak self] r in self?.refused[ObjectIdentifier(r)] = nil }
                refused[ObjectIdentifier(refusal)] = refusal
                return
            }
            perClient[client, default: 0] += 1
        }
        let connection = HTTPServerConnection(stream: stream, server: self, settings: settings, now: clock.now)
        connection.client = client
        connections[ObjectIdentifier(connection)] = connection
    }

    func connectionClosed(_ connection: HTTPServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
        if settings.maxConnectionsPerClient > 0, let open = perClient[connection.client] {
            perClient[connection.client] = open > 1 ? open - 1 : nil
        }
    }

    func dispatch(_ request: HTTPRequest, _ responder: Responder) { handler(request, responder) }
    var now: Instant { clock.now }

    /// One timer for all connections instead of one per connection: idle limits are minutes, so
    /// checking every few seconds is precise enough and costs nothing per request.
    private func scheduleSweep() {
        sweepTimer = clock.schedule(after: 5_000_000_000) { [weak self] in
            guard let self else { return }
            let now = self.clock.now
            for c in self.connections.values { c.closeIfIdle(now: now, limit: self.settings.idleTimeoutNanoseconds) }
            self.scheduleSweep()
        }
    }
}

/// A connection over the per-client limit: it gets the 429 and is closed once that is written.
private final class RefusedConnection: StreamConnectionDelegate {
    private let stream: StreamConnection
    private let done: (RefusedConnection) -> Void

    init(stream: StreamConnection, done: @escaping (RefusedConnection) -> Void) {
        self.stream = stream
        self.done = done
        stream.delegate = self
        stream.write(HTTPServer.tooManyConnections)
        stream.close()
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidClose(_ connection: StreamConnection) { done(self) }
    func connectionDidDrainWrites(_ connection: StreamConnection) {}
}

/// One client connection's HTTP state.
final class HTTPServerConnection: StreamConnectionDelegate {
    private let stream: StreamConnection
    /// The client IP counted against the per-client limit ("" when there is none).
    var client = ""
    /// The client's IP address (allow_write_http_from).
    private lazy var remoteHost: String = stream.remoteAddress?.host ?? ""
    private unowned let server: HTTPServer
    private let settings: HTTPServer.Settings
    private var parser: HTTPRequestParser
    private var inFlight: Responder?
    private var closing = false
    private var closed = false
    private var readingPaused = false
    private var lastActivity: Instant
    private var output: [UInt8] = []

    init(stream: StreamConnection, server: HTTPServer, settings: HTTPServer.Settings, now: Instant) {
        self.stream = stream
        self.server = server
        self.settings = settings
        self.parser = HTTPRequestParser(limits: settings.limits)
        self.lastActivity = now
        stream.delegate = self
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        lastActivity = server.now
        guard !closing else { return }
        parser.feed(bytes)
        processRequests()
        flush()
        updateReading()
    }

    func connectionDidClose(_ connection: StreamConnection) {
        closed = true
        let pending = inFlight
        inFlight = nil
        pending?.cancel()
        stream.delegate = nil
        server.connectionClosed(self)
    }

    func connectionDidDrainWrites(_ connection: StreamConnection) {
        updateReading()
    }

    /// Back-pressure: stop reading while the client is not taking its responses, or while it
    /// pipelines a lot behind a request that is still being answered.
    private func updateReading() {
        guard !closing, !closed else { return }
        let shouldPause = stream.pendingWriteBytes > settings.writeHighWaterBytes
            || (inFlight != nil && parser.bufferedByteCount > HTTPServer.pipelinedBytesMax)
        if shouldPause != readingPaused {
            readingPaused = shouldPause
            if shouldPause { stream.pauseReading() } else { stream.resumeReading() }
        }
    }

    func close() {
        guard !closed else { return }
        closing = true
        stream.close()
    }

    func closeIfIdle(now: Instant, limit: UInt64) {
        guard inFlight == nil, now.nanoseconds >= lastActivity.nanoseconds + limit else { return }
        close()
    }

    /// Takes complete requests off the parser while no earlier request is still being answered.
    private func processRequests() {
        while inFlight == nil && !closing {
            switch parser.next() {
            case .needMoreData:
                return
            case .continueExpected:
                output.append(contentsOf: HTTPResponseSerializer.continueResponse)
            case .error(let error):
                // The stream is out of sync; answer once and close, as Go's server does.
                let response = HTTPResponse.text(error.status, "\(error.status) \(reasonPhrase(error.status)): \(error.reason)")
                HTTPResponseSerializer.write(response, keepAlive: false, date: server.dateHeader(), into: &output)
                closing = true
            case .request(var request):
                request.remoteAddress = remoteHost
                let keepAlive = request.keepAlive
                let headOnly = request.method == "HEAD"
                var answeredSynchronously = false
                let responder = Responder({ [weak self] response in
                    guard let self, !self.closed else { return }
                    answeredSynchronously = true
                    self.inFlight = nil
                    if response.body.count >= HTTPServerConnection.directBodyBytes && !headOnly {
                        // A large body (a snapshot archive) goes to the socket as it is, after
                        // its head: no copy into the output buffer.
                        HTTPResponseSerializer.write(response, keepAlive: keepAlive, date: self.server.dateHeader(),
                                                     headOnly: true, into: &self.output)
                        self.flush()
                        self.stream.write(response.body)
                    } else {
                        HTTPResponseSerializer.write(response, keepAlive: keepAlive, date: self.server.dateHeader(),
                                                     headOnly: headOnly, into: &self.output)
                    }
                    if !keepAlive { self.closing = true }
                    if !self.processingSynchronously { self.afterAsyncResponse() }
                }, stream: { [weak self] part in
                    guard let self, !self.closed else { return }
                    switch part {
                    case .head(let head):
                        HTTPResponseSerializer.writeChunkedHead(head, keepAlive: keepAlive, date: self.server.dateHeader(), into: &self.output)
                    case .chunk(let bytes):
                        HTTPResponseSerializer.writeChunk(bytes, into: &self.output)
                    case .end:
                        HTTPResponseSerializer.writeChunk([], into: &self.output)
                        answeredSynchronously = true
                        self.inFlight = nil
                        if !keepAlive { self.closing = true }
                        if !self.processingSynchronously { self.afterAsyncResponse() }
                        return
                    }
                    if !self.processingSynchronously { self.flush() }
                })
                responder.backlogBytes = { [weak self] in self.map { $0.output.count + $0.stream.pendingWriteBytes } ?? 0 }
                inFlight = responder
                processingSynchronously = true
                server.dispatch(request, responder)
                processingSynchronously = false
                if !answeredSynchronously { break }
            }
        }
        if closing { flush(); stream.close() }
    }

    private var processingSynchronously = false

    /// A response that arrived after the read callback returned (blocking query, commit).
    private func afterAsyncResponse() {
        lastActivity = server.now
        processRequests()
        flush()
        updateReading()
    }

    private func flush() {
        guard !output.isEmpty, !closed else { return }
        stream.write(output)
        // Keep a small buffer for the next responses, not the size of the largest one.
        if output.capacity > HTTPServerConnection.directBodyBytes { output = [] } else { output.removeAll(keepingCapacity: true) }
    }

    /// Bodies this large skip the output buffer.
    static let directBodyBytes = 1 << 20
}
