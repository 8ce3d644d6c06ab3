import CLibUV
import Glibc
import Platform

/// TCP over libuv, as Platform's StreamNetwork.
public final class LiveStreamNetwork: StreamNetwork {
    private let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    public func listen(on address: SocketAddress, backlog: Int,
                       onAccept: @escaping (StreamConnection) -> Void) throws -> StreamListener {
        try TCPListener(loop: loop, address: address, backlog: backlog, onAccept: onAccept)
    }

    public func connect(to address: SocketAddress, timeoutNanoseconds: UInt64,
                        completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        TCPConnector.start(loop: loop, address: address, timeoutNanoseconds: timeoutNanoseconds, completion: completion)
    }
}

/// A listening socket. Retained by libuv (handle.data) until closed.
final class TCPListener: StreamListener {
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private let loop: EventLoop
    private let onAccept: (StreamConnection) -> Void
    private(set) var localAddress: SocketAddress
    private var closed = false

    init(loop: EventLoop, address: SocketAddress, backlog: Int, onAccept: @escaping (StreamConnection) -> Void) throws {
        self.loop = loop
        self.onAccept = onAccept
        self.localAddress = address
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.loop, handle)
        var storage = try SocketAddresses.storage(for: address)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_bind(handle, $0, 0) }
        }
        var status = bound
        if status == 0 {
            status = uv_listen(cuv_stream(handle), Int32(backlog)) { server, status in
                guard status >= 0, let server else { return }
                let listener = Unmanaged<TCPListener>.fromOpaque(server.pointee.data).takeUnretainedValue()
                listener.acceptOne()
            }
        }
        guard status == 0 else {
            uv_close(cuv_handle(handle)) { $0?.deallocate() }
            throw NetworkError(operation: "listen tcp", address: address.description, message: UVError(status, "listen").message)
        }
        var actual = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = uv_tcp_getsockname(handle, $0, &length) }
        }
        if let a = withUnsafePointer(to: &actual, { SocketAddresses.address(from: UnsafeRawPointer($0)) }) { localAddress = a }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    private func acceptOne() {
        let client = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.loop, client)
        guard uv_accept(cuv_stream(handle), cuv_stream(client)) == 0 else {
            uv_close(cuv_handle(client)) { $0?.deallocate() }
            return
        }
        uv_tcp_nodelay(client, 1)
        let connection = TCPConnection(loop: loop, handle: client)
        onAccept(connection)
        connection.startReading()
    }

    func close() {
        guard !closed else { return }
        closed = true
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<TCPListener>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}

/// One TCP connection. Writes go out with `uv_try_write` when nothing is queued (no copy, no
/// allocation); the rest is copied into a request that owns its bytes until libuv is done.
final class TCPConnection: StreamConnection {
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private let loop: EventLoop
    weak var delegate: StreamConnectionDelegate?
    let remoteAddress: SocketAddress?
    private(set) var pendingWriteBytes = 0
    private var pendingWrites = 0
    private var reading = false
    private var paused = false
    private var closeRequested = false
    private var closing = false

    init(loop: EventLoop, handle: UnsafeMutablePointer<uv_tcp_t>) {
        self.loop = loop
        self.handle = handle
        var peer = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(handle, $0, &length) }
        }
        remoteAddress = ok == 0 ? withUnsafePointer(to: &peer) { SocketAddresses.address(from: UnsafeRawPointer($0)) } : nil
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func startReading() {
        guard !reading, !closing, !closeRequested else { return }
        reading = true
        uv_read_start(cuv_stream(handle), { h, _, buf in
            // One reusable buffer per loop: a read callback consumes its bytes before returning.
            let loop = EventLoop.owner(of: h!.pointee.loop)
            buf!.pointee = uv_buf_init(loop.readBuffer, UInt32(EventLoop.readBufferSize))
        }, { stream, nread, buf in
            let connection = Unmanaged<TCPConnection>.fromOpaque(stream!.pointee.data).takeUnretainedValue()
            if nread > 0 {
                connection.delegate?.connection(connection, didRead: UnsafeRawBufferPointer(start: buf!.pointee.base, count: nread))
            } else if nread < 0 {
                connection.closeNow()
            }
        })
    }

    func pauseReading() {
        guard reading, !closing else { return }
        reading = false
        paused = true
        uv_read_stop(cuv_stream(handle))
    }

    func resumeReading() {
        guard paused else { return }
        paused = false
        startReading()
    }

    func write(_ bytes: [UInt8]) {
        guard !closing, !closeRequested, !bytes.isEmpty else { return }
        var offset = 0
        if pendingWrites == 0 {
            let written = bytes.withUnsafeBufferPointer { p -> Int32 in
                var buf = uv_buf_init(UnsafeMutablePointer(mutating: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)), UInt32(p.count))
                return uv_try_write(cuv_stream(handle), &buf, 1)
            }
            if written == Int32(bytes.count) { return }
            if written > 0 { offset = Int(written) }
            else if written != Int32(UV_EAGAIN.rawValue) && written != Int32(UV_ENOSYS.rawValue) { closeNow(); return }
        }
        let remaining = bytes.count - offset
        // One allocation holds the request followed by the bytes it sends; freed in the callback.
        let requestSize = MemoryLayout<uv_write_t>.stride
        let block = malloc(requestSize + remaining)!
        let request = block.assumingMemoryBound(to: uv_write_t.self)
        let payload = block.advanced(by: requestSize)
        bytes.withUnsafeBytes { src in
            payload.copyMemory(from: src.baseAddress!.advanced(by: offset), byteCount: remaining)
        }
        request.pointee.data = UnsafeMutableRawPointer(bitPattern: remaining)
        var buf = uv_buf_init(payload.assumingMemoryBound(to: CChar.self), UInt32(remaining))
        pendingWrites += 1
        pendingWriteBytes += remaining
        let status = uv_write(request, cuv_stream(handle), &buf, 1) { req, status in
            let request = req!
            let bytes = Int(bitPattern: request.pointee.data)
            let connection = Unmanaged<TCPConnection>.fromOpaque(request.pointee.handle.pointee.data).takeUnretainedValue()
            free(request)
            connection.writeFinished(bytes: bytes, status: status)
        }
        if status < 0 {
            pendingWrites -= 1
            pendingWriteBytes -= remaining
            free(block)
            closeNow()
        }
    }

    private func writeFinished(bytes: Int, status: Int32) {
        pendingWrites -= 1
        pendingWriteBytes -= bytes
        if status < 0 { closeNow(); return }
        if pendingWrites == 0 {
            if closeRequested { closeNow() } else { delegate?.connectionDidDrainWrites(self) }
        }
    }

    /// Lets queued responses reach the client, then closes.
    func close() {
        guard !closeRequested, !closing else { return }
        closeRequested = true
        if reading { uv_read_stop(cuv_stream(handle)); reading = false }
        if pendingWrites == 0 { closeNow() }
    }

    private func closeNow() {
        guard !closing else { return }
        closing = true
        uv_close(cuv_handle(handle)) { h in
            let unmanaged = Unmanaged<TCPConnection>.fromOpaque(h!.pointee.data)
            let connection = unmanaged.takeUnretainedValue()
            connection.delegate?.connectionDidClose(connection)
            connection.delegate = nil
            unmanaged.release()
            h!.deallocate()
        }
    }
}

