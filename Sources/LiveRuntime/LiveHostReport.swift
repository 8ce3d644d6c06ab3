import Glibc
import Platform

extension LiveHostFacts {
    /// The machine from procfs, uname, /etc/os-release and statvfs of the data directory.
    public func hostReport(dataDirectory: String) -> HostReport? {
        var report = HostReport()
        report.collectionTime = WallClock.nanoseconds
        report.host = host(&report.errors)
        report.cpus = cpus()
        if report.cpus.isEmpty { report.errors.append("cpu: /proc/cpuinfo could not be read") }
        if let meminfo = ProcFiles.readText("/proc/meminfo") {
            let kB = Dictionary(ProcFiles.colonPairs(Substring(meminfo)).map { ($0.0, (UInt64($0.1.split(separator: " ").first ?? "") ?? 0) * 1024) },
                                uniquingKeysWith: { first, _ in first })
            report.memory.total = kB["MemTotal"] ?? 0
            report.memory.available = kB["MemAvailable"] ?? 0
            report.memory.free = kB["MemFree"] ?? 0
            report.memory.buffers = kB["Buffers"] ?? 0
            report.memory.cached = kB["Cached"] ?? 0
        } else {
            report.errors.append("memory: /proc/meminfo could not be read")
        }
        report.disk = disk(dataDirectory.isEmpty ? "/" : dataDirectory, &report.errors)
        return report
    }

    private func host(_ errors: inout [String]) -> HostReport.Host {
        var h = HostReport.Host()
        var name = utsname()
        uname(&name)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        h.hostname = field(&name.nodename)
        h.os = field(&name.sysname).lowercased()
        h.kernelVersion = field(&name.release)
        h.kernelArch = field(&name.machine)
        if let release = ProcFiles.readText("/etc/os-release") {
            for line in release.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let value = parts[1].filter { $0 != "\"" }
                switch parts[0] {
                case "ID": h.platform = value
                case "ID_LIKE": h.platformFamily = value
                case "VERSION_ID": h.platformVersion = value
                default: break
                }
            }
            if h.platformFamily.isEmpty { h.platformFamily = h.platform }
        }
        if let uptime = ProcFiles.readText("/proc/uptime"), let seconds = Double(uptime.split(separator: " ").first ?? "") {
            h.uptimeSeconds = UInt64(seconds)
            h.bootTimeSeconds = UInt64(WallClock.nanoseconds / 1_000_000_000) - h.uptimeSeconds
        } else {
            errors.append("host: /proc/uptime could not be read")
        }
        h.hostID = (ProcFiles.readText("/etc/machine-id") ?? "").filter { !$0.isWhitespace }
        if let dir = opendir("/proc") {
            while let entry = readdir(dir) {
                let first = entry.pointee.d_name.0
                if first >= 48 && first <= 57 { h.processes += 1 }
            }
            closedir(dir)
        }
        return h
    }

    private func cpus() -> [HostReport.CPU] {
        guard let text = ProcFiles.readText("/proc/cpuinfo") else { return [] }
        return text.split(separator: "\n\n").compactMap { block -> HostReport.CPU? in
            let fields = Dictionary(ProcFiles.colonPairs(block), uniquingKeysWith: { first, _ in first })
            guard let number = fields["processor"].flatMap({ Int($0) }) else { return nil }
            var cpu = HostReport.CPU()
            cpu.number = number
            cpu.vendorID = fields["vendor_id"] ?? ""
            cpu.family = fields["cpu family"] ?? ""
            cpu.model = fields["model"] ?? ""
            cpu.modelName = fields["model name"] ?? ""
            cpu.stepping = fields["stepping"].flatMap { Int($0) } ?? 0
            cpu.physicalID = fields["physical id"] ?? ""
            cpu.coreID = fields["core id"] ?? ""
            cpu.mhz = fields["cpu MHz"].flatMap { Double($0) } ?? 0
            cpu.cacheSizeKB = fields["cache size"].flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
            cpu.flags = (fields["flags"] ?? "").split(separator: " ").map(String.init)
            cpu.microcode = fields["microcode"] ?? ""
            return cpu
        }
    }

    private func disk(_ path: String, _ errors: inout [String]) -> HostReport.Disk {
        var d = HostReport.Disk()
        d.path = path
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else {
            errors.append("disk: statvfs \(path): \(String(cString: strerror(errno)))")
            return d
        }
        let block = UInt64(fs.f_frsize)
        d.total = UInt64(fs.f_blocks) * block
        d.free = UInt64(fs.f_bavail) * block
        d.used = (UInt64(fs.f_blocks) - UInt64(fs.f_bfree)) * block
        d.inodesTotal = UInt64(fs.f_files)
        d.inodesFree = UInt64(fs.f_ffree)
        // The file system type of the longest mount point holding the path.
        if let mounts = ProcFiles.readText("/proc/self/mounts") {
            var best = 0
            for line in mounts.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count > 2 else { continue }
                let point = String(parts[1])
                if (path == point || path.hasPrefix(point.hasSuffix("/") ? point : point + "/")) && point.count >= best {
                    best = point.count
                    d.fstype = String(parts[2])
                }
            }
        }
        return d
    }
}
