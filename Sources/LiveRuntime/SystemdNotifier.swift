import CLibUV
import Glibc

/// The service-manager notification protocol (sd_notify(3)), spoken directly: newline-separated
/// `KEY=value` assignments in one datagram to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a
/// path, or an abstract name when it starts with `@`). No libsystemd needed. The socket is
/// non-blocking: a notification is a few bytes and never waits.
public final class SystemdNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private let addressLength: socklen_t

    /// The notifier for `$NOTIFY_SOCKET`, which is then removed from the environment so that
    /// processes the agent starts (script checks, watch handlers) cannot speak for it. Nil when
    /// the variable is unset (not started by systemd with `Type=notify`) or unusable.
    public static func fromEnvironment() -> SystemdNotifier? {
        guard let raw = getenv("NOTIFY_SOCKET") else { return nil }
        let name = String(cString: raw)
        unsetenv("NOTIFY_SOCKET")
        return SystemdNotifier(socketName: name)
    }

    public init?(socketName: String) {
        var path = Array(socketName.utf8)
        guard !path.isEmpty, path.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        else if path[0] != UInt8(ascii: "/") { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (i, byte) in path.enumerated() { sunPath[i] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        // An abstract name is exactly its bytes; a path also carries its terminating NUL.
        addressLength = socklen_t(pathOffset + path.count + (path[0] == 0 ? 0 : 1))
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
    }

    deinit { close(fd) }

    /// Sends the assignments (e.g. `["READY=1", "STATUS=…"]`); false if the manager did not get them.
    @discardableResult
    public func notify(_ assignments: [String]) -> Bool {
        let message = Array(assignments.joined(separator: "\n").utf8)
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, addressLength)
                }
            }
        }
        return sent == message.count
    }

    /// `MONOTONIC_USEC=` as `RELOADING=1` needs it (systemd 253+): CLOCK_MONOTONIC in µs.
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }
}
