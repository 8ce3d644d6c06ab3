/// What `/v1/agent/host` reports about the machine (the fields of Consul's, which come from
/// gopsutil): the host, its CPUs, memory, and the disk holding the data directory.
public struct HostReport: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var hostname = "", os = "", platform = "", platformFamily = "", platformVersion = ""
        public var kernelVersion = "", kernelArch = "", hostID = ""
        public var uptimeSeconds: UInt64 = 0, bootTimeSeconds: UInt64 = 0, processes: UInt64 = 0
        public init() {}
    }
    public struct CPU: Sendable, Equatable {
        public var number = 0, cores = 1
        public var vendorID = "", family = "", model = "", modelName = "", stepping = 0, physicalID = "", coreID = ""
        public var mhz = 0.0, cacheSizeKB = 0
        public var flags: [String] = []
        public var microcode = ""
        public init() {}
    }
    public struct Memory: Sendable, Equatable {
        public var total: UInt64 = 0, available: UInt64 = 0, free: UInt64 = 0, buffers: UInt64 = 0, cached: UInt64 = 0
        public var used: UInt64 { total > available ? total - available : 0 }
        public var usedPercent: Double { total == 0 ? 0 : Double(used) / Double(total) * 100 }
        public init() {}
    }
    public struct Disk: Sendable, Equatable {
        public var path = "", fstype = ""
        public var total: UInt64 = 0, free: UInt64 = 0, used: UInt64 = 0
        public var inodesTotal: UInt64 = 0, inodesFree: UInt64 = 0
        public var usedPercent: Double { used + free == 0 ? 0 : Double(used) / Double(used + free) * 100 }
        public var inodesUsed: UInt64 { inodesTotal > inodesFree ? inodesTotal - inodesFree : 0 }
        public var inodesUsedPercent: Double { inodesTotal == 0 ? 0 : Double(inodesUsed) / Double(inodesTotal) * 100 }
        public init() {}
    }

    public var host = Host()
    public var cpus: [CPU] = []
    public var memory = Memory()
    public var disk = Disk()
    /// Unix nanoseconds when it was read.
    public var collectionTime: Int64 = 0
    /// What could not be read, each a sentence.
    public var errors: [String] = []

    public init() {}
}

extension HostFacts {
    /// The machine as `/v1/agent/host` reports it, with the disk holding `dataDirectory`; nil
    /// where facts cannot be read (fakes).
    public func hostReport(dataDirectory: String) -> HostReport? { nil }
}
