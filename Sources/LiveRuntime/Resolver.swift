import CLibUV
import Glibc
import Platform

/// Name resolution on libuv's thread pool (`uv_getaddrinfo`); the loop never waits for DNS.
public final class LiveResolver: Resolver {
    private let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    public func resolve(host: String, completion: @escaping (Result<[String], NetworkError>) -> Void) {
        loop.assertOnLoop()
        // A literal needs no lookup; still complete on a later turn, like a real lookup.
        if LiveResolver.isIPLiteral(host) {
            loop.schedule(after: 0) { completion(.success([host])) }
            return
        }
        let lookup = Lookup(host: host, completion: completion)
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(lookup).toOpaque()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let status = uv_getaddrinfo(loop.loop, request, { req, status, result in
            let unmanaged = Unmanaged<Lookup>.fromOpaque(req!.pointee.data)
            req!.deallocate()
            let lookup = unmanaged.takeRetainedValue()
            defer { if let result { uv_freeaddrinfo(result) } }
            lookup.finish(status: status, result: result)
        }, host, nil, &hints)
        if status < 0 {
            Unmanaged<Lookup>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            let error = LiveResolver.error(host: host, status: status)
            loop.schedule(after: 0) { completion(.failure(error)) }
        }
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var buffer = in6_addr()
        return uv_inet_pton(AF_INET, host, &buffer) == 0 || uv_inet_pton(AF_INET6, host, &buffer) == 0
    }

    static func error(host: String, status: Int32) -> NetworkError {
        let message = status == Int32(UV_EAI_NONAME.rawValue) || status == Int32(UV_EAI_NODATA.rawValue)
            ? "no such host" : UVError(status, "getaddrinfo").message
        return NetworkError(operation: "lookup", address: host, message: message)
    }

    /// The state of one lookup, alive from submission until libuv's callback.
    private final class Lookup {
        let host: String
        let completion: (Result<[String], NetworkError>) -> Void

        init(host: String, completion: @escaping (Result<[String], NetworkError>) -> Void) {
            self.host = host
            self.completion = completion
        }

        func finish(status: Int32, result: UnsafeMutablePointer<addrinfo>?) {
            guard status == 0 else {
                completion(.failure(LiveResolver.error(host: host, status: status)))
                return
            }
            var addresses: [String] = []
            var entry = result
            while let e = entry {
                if let sa = e.pointee.ai_addr, let a = SocketAddresses.address(from: UnsafeRawPointer(sa)),
                   !addresses.contains(a.host) {
                    addresses.append(a.host)
                }
                entry = e.pointee.ai_next
            }
            if addresses.isEmpty {
                completion(.failure(NetworkError(operation: "lookup", address: host, message: "no such host")))
            } else {
                completion(.success(addresses))
            }
        }
    }
}
