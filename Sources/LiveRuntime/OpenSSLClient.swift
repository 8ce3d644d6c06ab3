import COpenSSL
import Platform

/// TLS client sessions with OpenSSL over memory BIOs: the TCP stream stays libuv's; OpenSSL only
/// transforms bytes (ciphertext in from the socket, plaintext out to the user, and back). Loop
/// confined like every stream. Verification uses the system's trusted roots and checks the
/// server name (or IP literal) against the certificate unless `skipVerify`.
public final class OpenSSLClient: TLSClient {
    private let context: OpaquePointer

    public init() {
        context = SSL_CTX_new(TLS_client_method())!
        SSL_CTX_set_default_verify_paths(context)
    }

    deinit { SSL_CTX_free(context) }

    public func handshake(over connection: StreamConnection, serverName: String, skipVerify: Bool,
                          completion: @escaping (Result<StreamConnection, TLSError>) -> Void) {
        let tls = TLSConnection(context: context, transport: connection, serverName: serverName, skipVerify: skipVerify)
        tls.start(completion)
    }
}

/// One TLS session: a `StreamConnection` of plaintext over a TCP `StreamConnection` of ciphertext.
final class TLSConnection: StreamConnection, StreamConnectionDelegate {
    weak var delegate: StreamConnectionDelegate?
    private let transport: StreamConnection
    private let ssl: OpaquePointer
    private let input: OpaquePointer    // ciphertext from the peer, for OpenSSL to read
    private let output: OpaquePointer   // ciphertext OpenSSL produced, for the socket
    private var handshakeDone: ((Result<StreamConnection, TLSError>) -> Void)?
    private var closed = false
    /// Keeps the session alive while the transport can still call back.
    private var retainedSelf: TLSConnection?

    init(context: OpaquePointer, transport: StreamConnection, serverName: String, skipVerify: Bool) {
        self.transport = transport
        ssl = SSL_new(context)!
        input = BIO_new(BIO_s_mem())!
        output = BIO_new(BIO_s_mem())!
        SSL_set_bio(ssl, input, output)
        SSL_set_connect_state(ssl)
        let isIP = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        if !serverName.isEmpty && !isIP { _ = consul_ssl_set_server_name(ssl, serverName) }
        if skipVerify {
            SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
        } else {
            SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
            if isIP {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
            } else if !serverName.isEmpty {
                SSL_set1_host(ssl, serverName)
            }
        }
    }

    deinit { SSL_free(ssl) }   // frees both BIOs

    func start(_ completion: @escaping (Result<StreamConnection, TLSError>) -> Void) {
        handshakeDone = completion
        retainedSelf = self
        transport.delegate = self
        advanceHandshake()
    }

    // MARK: StreamConnection (plaintext side)

    var remoteAddress: SocketAddress? { transport.remoteAddress }
    var pendingWriteBytes: Int { transport.pendingWriteBytes }

    func write(_ bytes: [UInt8]) {
        guard !closed, !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        if written <= 0 { return fail(TLSError(lastError("write"))) }
        flush()
    }

    func pauseReading() { transport.pauseReading() }
    func resumeReading() { transport.resumeReading() }

    func close() {
        guard !closed else { return }
        closed = true
        SSL_shutdown(ssl)
        flush()
        transport.close()
    }

    // MARK: StreamConnectionDelegate (ciphertext side)

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        _ = BIO_write(input, bytes.baseAddress, Int32(bytes.count))
        if handshakeDone != nil { return advanceHandshake() }
        readPlaintext()
    }

    func connectionDidClose(_ connection: StreamConnection) {
        closed = true
        if let done = handshakeDone {
            handshakeDone = nil
            done(.failure(TLSError("remote error: connection closed during the TLS handshake")))
        } else {
            delegate?.connectionDidClose(self)
        }
        retainedSelf = nil
    }

    func connectionDidDrainWrites(_ connection: StreamConnection) { delegate?.connectionDidDrainWrites(self) }

    // MARK: Internals

    private func advanceHandshake() {
        let rc = SSL_do_handshake(ssl)
        flush()
        if rc == 1 {
            guard let done = handshakeDone else { return }
            handshakeDone = nil
            done(.success(self))
            readPlaintext()   // application data that came with the last handshake flight
            return
        }
        let error = SSL_get_error(ssl, rc)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let text = String(cString: X509_verify_cert_error_string(verify))
            return fail(TLSError("tls: failed to verify certificate: x509: \(text)"))
        }
        fail(TLSError(lastError("handshake")))
    }

    private func readPlaintext() {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !closed {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n > 0 {
                buffer.withUnsafeBytes { delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: $0[..<Int(n)])) }
                continue
            }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { break }
            if error == SSL_ERROR_ZERO_RETURN {   // close_notify: the peer is done sending
                close()
                break
            }
            fail(TLSError(lastError("read")))
            break
        }
        flush()
    }

    /// Hands whatever ciphertext OpenSSL produced to the socket.
    private func flush() {
        var pending = consul_bio_pending(output)
        while pending > 0 {
            var chunk = [UInt8](repeating: 0, count: Int(pending))
            let n = chunk.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { break }
            transport.write(Array(chunk[..<Int(n)]))
            pending = consul_bio_pending(output)
        }
    }

    private func fail(_ error: TLSError) {
        if let done = handshakeDone {
            handshakeDone = nil
            closed = true
            transport.close()
            done(.failure(error))
            return
        }
        guard !closed else { return }
        closed = true
        transport.close()
    }

    private func lastError(_ operation: String) -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "tls: \(operation) failed" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return "tls: " + String(cString: text)
    }
}
