import Metrics
import Platform

/// `consul.api.http`: how long each request to a route took, labelled as Consul labels it —
/// `method` and `path`, the route's pattern without its leading `/` and with `/` as `_`
/// (`/v1/kv/` → `v1_kv_`). The router asks for the handles once, when a route is added.
final class RequestTiming {
    static let help = "Samples how long it takes to service the given HTTP request for the given verb and path."
    private let metrics: MetricsRegistry
    let clock: EventLoopClock

    init(metrics: MetricsRegistry, clock: EventLoopClock) {
        self.metrics = metrics
        self.clock = clock
    }

    func metric(pattern: String, method: String) -> Metric {
        let path = String(pattern.dropFirst().map { $0 == "/" ? "_" : $0 })
        return metrics.sample("api.http", labels: [("method", method), ("path", path)], help: Self.help)
    }
}
