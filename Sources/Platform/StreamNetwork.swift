/// A host and port; `host` is a literal IP address.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Receives a connection's events on the loop thread.
public protocol StreamConnectionDelegate: AnyObject {
    /// Bytes arrived; the buffer is valid only during the call.
    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer)
    /// The peer closed, an error happened, or `close()` finished. Called once; drop the connection after it.
    func connectionDidClose(_ connection: StreamConnection)
    /// Every queued write has been handed to the kernel (back-pressure relief).
    func connectionDidDrainWrites(_ connection: StreamConnection)
}

/// One TCP connection, confined to the loop.
public protocol StreamConnection: AnyObject {
    var delegate: StreamConnectionDelegate? { get set }
    var remoteAddress: SocketAddress? { get }
    /// Bytes queued but not yet accepted by the kernel.
    var pendingWriteBytes: Int { get }
    func write(_ bytes: [UInt8])
    func pauseReading()
    func resumeReading()
    /// Flushes queued writes, then closes; the delegate hears `connectionDidClose`.
    func close()
}

public protocol StreamListener: AnyObject {
    var localAddress: SocketAddress { get }
    func close()
}

/// TCP on the loop: listening, and outbound connections.
public protocol StreamNetwork: AnyObject {
    /// Binds and listens; each accepted connection is handed to `onAccept` (set its delegate there).
    func listen(on address: SocketAddress, backlog: Int, onAccept: @escaping (StreamConnection) -> Void) throws -> StreamListener

    /// Connects to `address` (an IP literal; resolve names with a `Resolver` first). The completion
    /// runs once on the loop: with the connection (set its delegate there; reading starts after
    /// the completion returns), or with an error — `i/o timeout` after `timeoutNanoseconds`
    /// (0 = no bound beyond the kernel's).
    func connect(to address: SocketAddress, timeoutNanoseconds: UInt64,
                 completion: @escaping (Result<StreamConnection, NetworkError>) -> Void)
}

/// A failed network operation, with the operating system's words.
public struct NetworkError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var address: String
    public var message: String
    public init(operation: String, address: String, message: String) {
        self.operation = operation
        self.address = address
        self.message = message
    }
    public var description: String { "\(operation) \(address): \(message)" }
}
