import Glibc
import Platform

/// Blocking TCP / Unix-socket connections for the CLI (POSIX sockets; not on any event loop).
public struct PosixDialer: BlockingDialer {
    public init() {}

    public func dial(host: String, port: Int, timeoutMilliseconds: Int) throws -> BlockingStream {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var results: UnsafeMutablePointer<addrinfo>?
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let status = getaddrinfo(bareHost, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw NetworkError(operation: "dial tcp", address: "\(host):\(port)", message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(results) }
        var lastError = "no addresses"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText(); continue }
            PosixStream.setTimeouts(fd, timeoutMilliseconds)
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return PosixStream(fd: fd)
            }
            lastError = errnoText()
            Glibc.close(fd)
        }
        throw NetworkError(operation: "dial tcp", address: "\(host):\(port)", message: lastError)
    }

    public func dialUnix(path: String, timeoutMilliseconds: Int) throws -> BlockingStream {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetworkError(operation: "dial unix", address: path, message: errnoText()) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw NetworkError(operation: "dial unix", address: path, message: "path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        PosixStream.setTimeouts(fd, timeoutMilliseconds)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else {
            let message = errnoText()
            Glibc.close(fd)
            throw NetworkError(operation: "dial unix", address: path, message: message)
        }
        return PosixStream(fd: fd)
    }
}

final class PosixStream: BlockingStream {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    static func setTimeouts(_ fd: Int32, _ milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw NetworkError(operation: "write", address: "", message: errnoText())
            }
            offset += n
        }
    }

    func read(maxBytes: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, maxBytes, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw NetworkError(operation: "read", address: "", message: "i/o timeout")
                }
                throw NetworkError(operation: "read", address: "", message: errnoText())
            }
            return Array(buffer[..<n])
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
