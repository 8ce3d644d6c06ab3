/// What the process itself reports (from /proc on Linux), for Prometheus' standard `process_*`
/// series and the agent's `consul.runtime.*` gauges. Values are real readings, never guesses;
/// a field the system could not give stays nil and is left out.
public struct ProcessFacts: Sendable, Equatable {
    public var cpuSeconds: Double?
    public var openFDs: Double?
    public var maxFDs: Double?
    public var virtualMemoryBytes: Double?
    public var residentMemoryBytes: Double?
    public var startTimeSeconds: Double?
    public var threads: Double?
    /// Bytes in use by malloc (glibc mallinfo2: in-use chunks plus mmapped blocks).
    public var heapInUseBytes: Double?
    /// Bytes malloc holds from the kernel (arenas plus mmapped blocks).
    public var heapSystemBytes: Double?

    public init() {}

    /// Prometheus' standard process collector series (name, type, help, value).
    public var prometheusSeries: [(name: String, type: String, help: String, value: Double)] {
        var out: [(name: String, type: String, help: String, value: Double)] = []
        func add(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            if let value { out.append((name, type, help, value)) }
        }
        add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        add("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs)
        add("process_open_fds", "gauge", "Number of open file descriptors.", openFDs)
        add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentMemoryBytes)
        add("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds)
        add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualMemoryBytes)
        return out
    }
}
