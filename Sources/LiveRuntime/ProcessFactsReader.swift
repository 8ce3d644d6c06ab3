import CLibUV
import Glibc
import Metrics

/// This process's readings from procfs (`/proc/self/stat`, `/proc/self/fd`, `/proc/stat`),
/// getrlimit and glibc's mallinfo2. procfs is kernel memory, not disk: reading it on the loop
/// once a second costs microseconds.
public enum ProcessFactsReader {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageBytes = Double(sysconf(Int32(_SC_PAGESIZE)))
    /// Boot time (seconds since the epoch), read once.
    private static let bootSeconds: Double? = {
        guard let text = ProcFiles.readText("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).filter { $0 != " " })
        }
        return nil
    }()

    public static func read() -> ProcessFacts {
        var facts = ProcessFacts()
        if let stat = ProcFiles.readText("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after "(comm)": state is field 3; utime 14, stime 15, threads 20,
            // starttime 22, vsize 23, rss 24 (1-based, as proc(5) numbers them).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            func field(_ n: Int) -> Double? { n - 3 < fields.count ? Double(fields[n - 3]) : nil }
            if let user = field(14), let system = field(15) { facts.cpuSeconds = (user + system) / ticksPerSecond }
            facts.threads = field(20)
            if let start = field(22), let boot = bootSeconds { facts.startTimeSeconds = boot + start / ticksPerSecond }
            facts.virtualMemoryBytes = field(23)
            facts.residentMemoryBytes = field(24).map { $0 * pageBytes }
        }
        if let dir = opendir("/proc/self/fd") {
            var count = 0
            while let entry = readdir(dir) {
                if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
            }
            closedir(dir)
            facts.openFDs = Double(max(0, count - 1))  // the directory's own descriptor
        }
        var limit = rlimit()
        if getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 { facts.maxFDs = Double(limit.rlim_cur) }
        let info = mallinfo2()
        facts.heapInUseBytes = Double(info.uordblks + info.hblkhd)
        facts.heapSystemBytes = Double(info.arena + info.hblkhd)
        return facts
    }

    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}
