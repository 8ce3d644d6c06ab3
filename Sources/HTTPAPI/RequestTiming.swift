import Metrics
import Platform

/// `consul.api.http`: how long each request to a route took, labelled as Consul labels it —
/// `method` and `path`, the route's pattern without its leading `/` and with `/` as `_`
/// (`/v1/kv/` → `v1_kv_`). Handles are made once per route and method.
final class RequestTiming {
    static let help = "Samples how long it takes to service the given HTTP request for the given verb and path."
    private let metrics: MetricsRegistry
    private let clock: EventLoopClock
    private var handles: [String: [String: Metric]] = [:]

    init(metrics: MetricsRegistry, clock: EventLoopClock) {
        self.metrics = metrics
        self.clock = clock
    }

    /// Starts timing a request; the closure records it.
    func begin(pattern: String, method: String) -> () -> Void {
        let metric = handle(pattern, method)
        let start = clock.now
        return { [clock] in metric.observe(nanoseconds: clock.now.nanoseconds &- start.nanoseconds) }
    }

    private func handle(_ pattern: String, _ method: String) -> Metric {
        if let known = handles[pattern]?[method] { return known }
        let path = String(pattern.dropFirst().map { $0 == "/" ? "_" : $0 })
        let metric = metrics.sample("api.http", labels: [("method", method), ("path", path)], help: Self.help)
        handles[pattern, default: [:]][method] = metric
        return metric
    }
}
