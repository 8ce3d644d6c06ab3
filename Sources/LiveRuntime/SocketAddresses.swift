import CLibUV
import Glibc
import Platform

/// Converts between `SocketAddress` and the sockaddr structures libuv takes.
enum SocketAddresses {
    static func storage(for address: SocketAddress) throws -> sockaddr_storage {
        var storage = sockaddr_storage()
        let status: Int32 = withUnsafeMutableBytes(of: &storage) { raw in
            if address.host.contains(":") {
                return uv_ip6_addr(address.host, Int32(address.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
            }
            return uv_ip4_addr(address.host, Int32(address.port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        guard status == 0 else {
            throw NetworkError(operation: "parse", address: address.description, message: "not an IP address")
        }
        return storage
    }

    static func address(from storage: UnsafeRawPointer) -> SocketAddress? {
        let family = storage.assumingMemoryBound(to: sockaddr.self).pointee.sa_family
        var name = [CChar](repeating: 0, count: 64)
        if family == sa_family_t(AF_INET) {
            let sin = storage.assumingMemoryBound(to: sockaddr_in.self)
            uv_ip4_name(sin, &name, 64)
            return SocketAddress(host: String(cString: name), port: Int(UInt16(bigEndian: sin.pointee.sin_port)))
        }
        if family == sa_family_t(AF_INET6) {
            let sin6 = storage.assumingMemoryBound(to: sockaddr_in6.self)
            uv_ip6_name(sin6, &name, 64)
            return SocketAddress(host: String(cString: name), port: Int(UInt16(bigEndian: sin6.pointee.sin6_port)))
        }
        return nil
    }
}
