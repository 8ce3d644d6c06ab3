/// A blocking byte stream for command-line clients (the CLI is not an event loop).
public protocol BlockingStream: AnyObject {
    func write(_ bytes: [UInt8]) throws
    /// Up to `maxBytes`; an empty result means the peer closed.
    func read(maxBytes: Int) throws -> [UInt8]
    func close()
}

/// Opens blocking connections; LiveRuntime implements it with POSIX sockets.
public protocol BlockingDialer {
    /// `timeoutMilliseconds` bounds connect and each read/write (0 = no bound).
    func dial(host: String, port: Int, timeoutMilliseconds: Int) throws -> BlockingStream
    /// Connects to a Unix domain socket path (`unix:///path` addresses).
    func dialUnix(path: String, timeoutMilliseconds: Int) throws -> BlockingStream
}
