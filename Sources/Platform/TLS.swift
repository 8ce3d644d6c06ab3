/// A TLS client over an established stream (HTTPS, TCP and gRPC checks with TLS). The live
/// implementation is OpenSSL in LiveRuntime; nil where a build or a test has none.
public protocol TLSClient: AnyObject {
    /// Runs the client handshake over `connection` (which it takes over); completes on the loop
    /// with a connection carrying plaintext, or the handshake/verification error. `serverName`
    /// goes in SNI and, unless `skipVerify`, must match the certificate, which must chain to the
    /// system's trusted roots.
    func handshake(over connection: StreamConnection, serverName: String, skipVerify: Bool,
                   completion: @escaping (Result<StreamConnection, TLSError>) -> Void)
}

public struct TLSError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
