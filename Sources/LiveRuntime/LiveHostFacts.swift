import Glibc
import Platform

/// Host facts from `uname(2)`, `sysconf(3)` and `/proc/self/task`.
public final class LiveHostFacts: HostFacts {
    public init() {}

    public var architecture: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        default: return machine
        }
    }

    public var cpuCount: Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }

    public var threadCount: Int {
        guard let dir = opendir("/proc/self/task") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != 46 { count += 1 }  // skip "." and ".."
        }
        return count
    }
}
