/// Facts about the machine the agent runs on, as `consul info`'s runtime section reports them.
public protocol HostFacts: AnyObject {
    /// The CPU architecture in Go's spelling (`amd64`, `arm64`, …).
    var architecture: String { get }
    /// CPUs online.
    var cpuCount: Int { get }
    /// Threads of this process now (the closest thing to Go's goroutine count).
    var threadCount: Int { get }
    /// The machine as `/v1/agent/host` reports it (the default: nil, nothing to report).
    func hostReport(dataDirectory: String) -> HostReport?
}
