import CLibUV
import Glibc
import Platform

/// One outbound connect: `uv_tcp_connect` raced against a timer. The connector is retained by
/// the connect request (released in its callback, which libuv always calls exactly once —
/// with `UV_ECANCELED` when the timeout closes the handle first).
final class TCPConnector {
    private let loop: EventLoop
    private let address: SocketAddress
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private var completion: ((Result<StreamConnection, NetworkError>) -> Void)?
    private var timer: TimerHandle?

    static func start(loop: EventLoop, address: SocketAddress, timeoutNanoseconds: UInt64,
                      completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        loop.assertOnLoop()
        let connector = TCPConnector(loop: loop, address: address, completion: completion)
        connector.begin(timeoutNanoseconds: timeoutNanoseconds)
    }

    private init(loop: EventLoop, address: SocketAddress,
                 completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        self.loop = loop
        self.address = address
        self.completion = completion
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.loop, handle)
        handle.pointee.data = nil
    }

    private func begin(timeoutNanoseconds: UInt64) {
        var storage: sockaddr_storage
        do {
            storage = try SocketAddresses.storage(for: address)
        } catch {
            closeHandle()
            finishSoon(.failure(NetworkError(operation: "dial tcp", address: address.description,
                                             message: "not an IP address")))
            return
        }
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                uv_tcp_connect(request, handle, addr) { req, status in
                    let unmanaged = Unmanaged<TCPConnector>.fromOpaque(req!.pointee.data)
                    req!.deallocate()
                    unmanaged.takeUnretainedValue().connected(status: status)
                    unmanaged.release()
                }
            }
        }
        if status < 0 {
            Unmanaged<TCPConnector>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            closeHandle()
            finishSoon(.failure(failure(status)))
            return
        }
        if timeoutNanoseconds > 0 {
            timer = loop.schedule(after: timeoutNanoseconds) { [weak self] in self?.timedOut() }
        }
    }

    private func connected(status: Int32) {
        timer?.cancel()
        timer = nil
        guard let completion else { return } // timed out: the handle is already closing
        self.completion = nil
        if status < 0 {
            closeHandle()
            completion(.failure(failure(status)))
            return
        }
        uv_tcp_nodelay(handle, 1)
        let connection = TCPConnection(loop: loop, handle: handle)
        completion(.success(connection))
        connection.startReading()
    }

    private func timedOut() {
        timer = nil
        guard let completion else { return }
        self.completion = nil
        // Closing cancels the pending connect; its callback then sees UV_ECANCELED and ignores it.
        closeHandle()
        completion(.failure(NetworkError(operation: "dial tcp", address: address.description, message: "i/o timeout")))
    }

    private func failure(_ status: Int32) -> NetworkError {
        NetworkError(operation: "dial tcp", address: address.description, message: "connect: " + UVError(status, "connect").message)
    }

    /// Before the handle belongs to a TCPConnection, its memory is freed in the close callback.
    private func closeHandle() {
        uv_close(cuv_handle(handle)) { $0?.deallocate() }
    }

    /// Completions never run inside `connect(...)` itself, so callers see one order of events.
    private func finishSoon(_ result: Result<StreamConnection, NetworkError>) {
        guard let completion else { return }
        self.completion = nil
        loop.schedule(after: 0) { completion(result) }
    }
}
