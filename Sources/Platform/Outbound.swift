/// Reaching out from the loop: UDP sockets, name resolution and child processes. Every
/// completion runs on the loop thread; nothing here blocks it. (Outbound TCP is
/// `StreamNetwork.connect`.)

// MARK: UDP

/// Receives a datagram socket's events on the loop thread.
public protocol DatagramSocketDelegate: AnyObject {
    /// One datagram arrived; the buffer is valid only during the call.
    func socket(_ socket: DatagramSocket, didReceive bytes: UnsafeRawBufferPointer, from sender: SocketAddress)
    /// The kernel reported an error for this socket (on a connected socket: ICMP port
    /// unreachable arrives here as "connection refused").
    func socket(_ socket: DatagramSocket, didFail error: NetworkError)
    /// Offered each datagram first: answer at once through `reply` (which sends to the sender
    /// without ever building a `SocketAddress`) and return true, or return false to have it
    /// delivered to `didReceive`. Both buffers are valid only during the call. Default: false.
    func socket(_ socket: DatagramSocket, answerNow bytes: UnsafeRawBufferPointer,
                reply: (UnsafeRawBufferPointer) -> Void) -> Bool
}

extension DatagramSocketDelegate {
    public func socket(_ socket: DatagramSocket, answerNow bytes: UnsafeRawBufferPointer,
                       reply: (UnsafeRawBufferPointer) -> Void) -> Bool { false }
}

/// A bound UDP socket, confined to the loop.
public protocol DatagramSocket: AnyObject {
    var delegate: DatagramSocketDelegate? { get set }
    var localAddress: SocketAddress { get }
    /// Sends one datagram; `nil` means the connected peer. Throws when the kernel refuses it
    /// at once (unreachable network, connected peer refused, message too long).
    func send(_ bytes: [UInt8], to address: SocketAddress?) throws(NetworkError)
    func close()
}

/// Opens UDP sockets on the loop.
public protocol DatagramNetwork: AnyObject {
    /// Binds to `local` (port 0 = any free port). With `peer`, the socket is connected: only the
    /// peer's datagrams arrive, sends may omit the address, and ICMP errors are reported.
    func bind(local: SocketAddress, peer: SocketAddress?) throws(NetworkError) -> DatagramSocket
}

// MARK: Name resolution

/// Host-name resolution off the loop thread (getaddrinfo on a worker), completing on the loop.
public protocol Resolver: AnyObject {
    /// IP literals (IPv4 first, as the system orders them) for `host`; a literal resolves to itself.
    func resolve(host: String, completion: @escaping (Result<[String], NetworkError>) -> Void)
}

// MARK: Child processes

/// What to run and how to bound it.
public struct ProcessRequest: Equatable, Sendable {
    /// argv; `arguments[0]` is looked up on PATH when it holds no slash.
    public var arguments: [String]
    /// `NAME=value` entries for the child; nil inherits the agent's environment.
    public var environment: [String]?
    /// Combined stdout+stderr kept: the last `outputLimitBytes` bytes (the tail, as Consul keeps it).
    public var outputLimitBytes: Int
    /// After this long the whole process group is killed (SIGKILL); 0 = no bound.
    public var timeoutNanoseconds: UInt64

    public init(arguments: [String], environment: [String]? = nil, outputLimitBytes: Int = 4096,
                timeoutNanoseconds: UInt64 = 0) {
        self.arguments = arguments
        self.environment = environment
        self.outputLimitBytes = outputLimitBytes
        self.timeoutNanoseconds = timeoutNanoseconds
    }
}

/// How a child process ended, and what it printed.
public struct ProcessOutcome: Equatable, Sendable {
    public enum Termination: Equatable, Sendable {
        case exited(code: Int32)
        case signaled(signal: Int32)
        /// The timeout fired and the process group was killed.
        case timedOut
    }
    public var termination: Termination
    /// The tail of combined stdout+stderr, at most `outputLimitBytes` long.
    public var output: [UInt8]
    /// Everything the child wrote, including what was dropped from the front.
    public var totalOutputBytes: Int

    public init(termination: Termination, output: [UInt8], totalOutputBytes: Int) {
        self.termination = termination
        self.output = output
        self.totalOutputBytes = totalOutputBytes
    }
}

/// A spawn that failed before the child ran (no such program, permission denied).
public struct ProcessError: Error, Equatable, CustomStringConvertible, Sendable {
    public var program: String
    public var message: String
    public init(program: String, message: String) { self.program = program; self.message = message }
    public var description: String { "exec \(program): \(message)" }
}

/// A child that is still running.
public protocol RunningProcess: AnyObject {
    /// Kills the child's whole process group; the completion still runs (with `.signaled`).
    func kill()
}

/// Runs child processes in their own process group, without blocking the loop: exit is
/// observed through the loop (SIGCHLD), output through a pipe.
public protocol ProcessRunner: AnyObject {
    /// Starts `request`; `completion` runs once on the loop after the child exited and its
    /// output pipe closed (or the timeout killed the group).
    func run(_ request: ProcessRequest,
             completion: @escaping (ProcessOutcome) -> Void) throws(ProcessError) -> RunningProcess
}
