import CLibUV
import Glibc
import Platform

/// UDP over libuv, as Platform's DatagramNetwork.
public final class LiveDatagramNetwork: DatagramNetwork {
    private let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    public func bind(local: SocketAddress, peer: SocketAddress?) throws(NetworkError) -> DatagramSocket {
        loop.assertOnLoop()
        return try LiveDatagramSocket(loop: loop, local: local, peer: peer)
    }
}

/// A bound (optionally connected) UDP socket. Retained by libuv (handle.data) until closed.
final class LiveDatagramSocket: DatagramSocket {
    private let handle: UnsafeMutablePointer<uv_udp_t>
    weak var delegate: DatagramSocketDelegate?
    private(set) var localAddress: SocketAddress
    private let peer: SocketAddress?
    private var closed = false

    init(loop: EventLoop, local: SocketAddress, peer: SocketAddress?) throws(NetworkError) {
        localAddress = local
        self.peer = peer
        handle = .allocate(capacity: 1)
        uv_udp_init(loop.loop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        var status: Int32
        do {
            var storage = try SocketAddresses.storage(for: local)
            status = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_bind(handle, $0, 0) }
            }
            if status == 0, let peer {
                var remote = try SocketAddresses.storage(for: peer)
                status = withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_connect(handle, $0) }
                }
            }
        } catch {
            close()
            throw NetworkError(operation: "dial udp", address: (peer ?? local).description, message: "not an IP address")
        }
        if status == 0 {
            status = uv_udp_recv_start(handle, { h, _, buf in
                let loop = EventLoop.owner(of: h!.pointee.loop)
                buf!.pointee = uv_buf_init(loop.readBuffer, UInt32(EventLoop.readBufferSize))
            }, { h, nread, buf, from, _ in
                let socket = Unmanaged<LiveDatagramSocket>.fromOpaque(h!.pointee.data).takeUnretainedValue()
                socket.received(nread: nread, buffer: buf!.pointee.base, from: from)
            })
        }
        guard status == 0 else {
            close()
            throw NetworkError(operation: peer == nil ? "listen udp" : "dial udp", address: (peer ?? local).description,
                               message: UVError(status, "bind").message)
        }
        var actual = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = uv_udp_getsockname(handle, $0, &length) }
        }
        if let a = withUnsafePointer(to: &actual, { SocketAddresses.address(from: UnsafeRawPointer($0)) }) { localAddress = a }
    }

    private func received(nread: Int, buffer: UnsafeMutablePointer<CChar>?, from: UnsafePointer<sockaddr>?) {
        guard !closed else { return }
        if nread < 0 {
            let error = NetworkError(operation: "read udp", address: (peer ?? localAddress).description,
                                     message: UVError(Int32(nread), "recv").message)
            delegate?.socket(self, didFail: error)
            return
        }
        // nread == 0 with no sender means "nothing more to read now"; an empty datagram has a sender.
        guard let from else { return }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: nread)
        let handle = self.handle
        let answered = delegate?.socket(self, answerNow: bytes) { answer in
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: answer.baseAddress?.assumingMemoryBound(to: CChar.self)),
                                  UInt32(answer.count))
            _ = uv_udp_try_send(handle, &buf, 1, from)
        } ?? false
        guard !answered, let sender = SocketAddresses.address(from: UnsafeRawPointer(from)) else { return }
        delegate?.socket(self, didReceive: bytes, from: sender)
    }

    func send(_ bytes: [UInt8], to address: SocketAddress?) throws(NetworkError) {
        guard !closed else {
            throw NetworkError(operation: "write udp", address: (address ?? peer)?.description ?? "", message: "use of closed socket")
        }
        let target = address ?? peer
        var storage: sockaddr_storage?
        if let address {
            guard let s = try? SocketAddresses.storage(for: address) else {
                throw NetworkError(operation: "write udp", address: address.description, message: "not an IP address")
            }
            storage = s
        }
        var payload = bytes
        let status: Int32 = payload.withUnsafeMutableBufferPointer { p in
            var buf = uv_buf_init(UnsafeMutableRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), UInt32(p.count))
            guard var storage else { return uv_udp_try_send(handle, &buf, 1, nil) }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_try_send(handle, &buf, 1, $0) }
            }
        }
        if status < 0 {
            throw NetworkError(operation: "write udp", address: target?.description ?? "",
                               message: UVError(status, "send").message)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        uv_udp_recv_stop(handle)
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<LiveDatagramSocket>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}
