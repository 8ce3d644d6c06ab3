import CLibUV
import Glibc
import Platform

/// A bound UDP socket on the loop; each datagram is delivered with its sender.
public final class UDPSocket {
    private let handle: UnsafeMutablePointer<uv_udp_t>
    private let onDatagram: (UnsafeRawBufferPointer, SocketAddress) -> Void
    public private(set) var localAddress: SocketAddress
    private var closed = false

    public init(loop: EventLoop, address: SocketAddress,
                onDatagram: @escaping (UnsafeRawBufferPointer, SocketAddress) -> Void) throws {
        self.onDatagram = onDatagram
        localAddress = address
        handle = .allocate(capacity: 1)
        uv_udp_init(loop.loop, handle)
        var storage = try SocketAddresses.storage(for: address)
        var status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_bind(handle, $0, UInt32(UV_UDP_REUSEADDR.rawValue)) }
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        if status == 0 {
            status = uv_udp_recv_start(handle, { h, _, buf in
                let loop = EventLoop.owner(of: h!.pointee.loop)
                buf!.pointee = uv_buf_init(loop.readBuffer, UInt32(EventLoop.readBufferSize))
            }, { h, nread, buf, from, _ in
                guard nread > 0, let from else { return }
                let socket = Unmanaged<UDPSocket>.fromOpaque(h!.pointee.data).takeUnretainedValue()
                guard let sender = SocketAddresses.address(from: UnsafeRawPointer(from)) else { return }
                socket.onDatagram(UnsafeRawBufferPointer(start: buf!.pointee.base, count: nread), sender)
            })
        }
        if status < 0 {
            close()
            throw NetworkError(operation: "listen udp", address: address.description, message: UVError(status, "bind").message)
        }
        var actual = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = uv_udp_getsockname(handle, $0, &length) }
        }
        if let a = withUnsafePointer(to: &actual, { SocketAddresses.address(from: UnsafeRawPointer($0)) }) { localAddress = a }
    }

    /// Sends one datagram; UDP is best-effort, so a full socket buffer drops it.
    public func send(_ bytes: [UInt8], to address: SocketAddress) {
        guard !closed, var storage = try? SocketAddresses.storage(for: address) else { return }
        _ = bytes.withUnsafeBufferPointer { p in
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)), UInt32(p.count))
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_try_send(handle, &buf, 1, $0) }
            }
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        uv_udp_recv_stop(handle)
        uv_close(cuv_handle(handle)) { h in
            if let data = h!.pointee.data { Unmanaged<UDPSocket>.fromOpaque(data).release() }
            h!.deallocate()
        }
    }
}
