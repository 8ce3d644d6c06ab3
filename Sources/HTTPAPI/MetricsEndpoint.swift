import ConsulAPI
import HTTP1
import Metrics
import Platform

/// `GET /v1/agent/metrics` (docs/metrics.md): the last finished 10-second interval as go-metrics'
/// JSON (`Timestamp`, `Gauges`, `Points`, `Counters`, `Samples`), or Prometheus text with
/// `?format=prometheus` (or a Prometheus `Accept`) when `telemetry.prometheus_retention_time`
/// is set.
final class MetricsEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let registry: MetricsRegistry
    init(api: ConsulHTTPAPI, registry: MetricsRegistry) {
        self.api = api
        self.registry = registry
    }

    func metrics(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if Self.wantsPrometheus(request) {
            guard api.config.prometheusRetentionNanoseconds > 0 else {
                // Consul 1.20 answers 200 with an empty body and the reason in a header.
                var headers = HTTPHeaders()
                headers.add("X-Consul-Reason", "Prometheus is not enabled since its retention time is not positive")
                return responder.respond(HTTPResponse(status: 200, headers: headers))
            }
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            let text = PrometheusText.render(registry, retentionNanoseconds: api.config.prometheusRetentionNanoseconds,
                                             process: api.processFacts?() ?? ProcessFacts())
            return responder.respond(HTTPResponse(status: 200, headers: headers, body: Array(text.utf8)))
        }
        var json = JSONWriter(pretty: options.pretty, reserve: 4096)
        MetricsJSON.write(registry, into: &json)
        responder.respond(.json(&json))
    }

    /// `GET /v1/agent/metrics/stream`: each 10-second interval as it finishes, one compact JSON
    /// document per line in `/v1/agent/metrics`' shape (go-metrics' stream, which `consul debug`
    /// reads). A reader that falls more than a megabyte behind misses intervals, never the agent's memory.
    func stream(_ request: HTTPRequest, _ responder: Responder) {
        var head = HTTPResponse(status: 200)
        head.headers.set("Content-Type", "application/json")
        guard responder.beginStream(head) else { return responder.respond(.text(400, "this request cannot be streamed")) }
        var watching = registry.currentInterval
        var timer: TimerHandle?
        var ended = false
        let clock = api.clock
        func poll() {
            timer = clock.schedule(after: 250_000_000) { [registry] in
                guard !ended else { return }
                if registry.currentInterval > watching {
                    if responder.backlogBytes() <= AgentLocalEndpoint.monitorBacklogBytes {
                        var json = JSONWriter(pretty: false, reserve: 8192)
                        MetricsJSON.write(registry, interval: watching, into: &json)
                        responder.streamChunk(json.bytes + [10])
                    }
                    watching = registry.currentInterval
                }
                poll()
            }
        }
        poll()
        responder.onCancel {
            ended = true
            timer?.cancel()
        }
    }

    /// `?format=prometheus`, or an `Accept` naming OpenMetrics or the 0.4 text format (what
    /// Prometheus sends), as Consul decides.
    static func wantsPrometheus(_ request: HTTPRequest) -> Bool {
        if request.query["format"] == "prometheus" { return true }
        guard let accept = request.headers["Accept"] else { return false }
        for part in accept.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.filter { $0 != " " } }
            if fields.first == "application/openmetrics-text" { return true }
            if fields.first == "text/plain" && fields.dropFirst().contains("version=0.4.0") { return true }
        }
        return false
    }
}

/// go-metrics' `DisplayMetrics` JSON for the interval the registry displays.
enum MetricsJSON {
    static func write(_ registry: MetricsRegistry, into json: inout JSONWriter) {
        write(registry, interval: registry.displayInterval, into: &json)
    }

    static func write(_ registry: MetricsRegistry, interval: Int64, into json: inout JSONWriter) {
        json.beginObject()
        json.field("Timestamp", goTimeString(unixSeconds: interval * MetricsRegistry.intervalNanoseconds / 1_000_000_000))
        json.key("Gauges")
        json.beginArray()
        for (metric, _, gauge) in registry.metrics(in: interval, kind: .gauge) {
            json.beginObject()
            json.field("Name", metric.name)
            json.key("Value")
            json.rawNumber(GoFloat.json(Double(Float(gauge))))
            labels(metric, &json)
            json.endObject()
        }
        json.endArray()
        json.key("Points")
        json.beginArray()
        json.endArray()
        for (key, kind) in [("Counters", MetricKind.counter), ("Samples", .sample)] {
            json.key(key)
            json.beginArray()
            for (metric, aggregate, _) in registry.metrics(in: interval, kind: kind) {
                json.beginObject()
                json.field("Name", metric.name)
                json.field("Count", aggregate.count)
                for (name, value) in [("Rate", aggregate.sum / 10), ("Sum", aggregate.sum), ("Min", aggregate.min), ("Max", aggregate.max),
                                      ("Mean", aggregate.mean), ("Stddev", aggregate.standardDeviation)] {
                    json.key(name)
                    json.rawNumber(GoFloat.json(value))
                }
                labels(metric, &json)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
    }

    private static func labels(_ metric: Metric, _ json: inout JSONWriter) {
        json.key("Labels")
        json.beginObject()
        var seen: [String: String] = [:]
        for (k, v) in metric.labels { seen[k] = v }
        for (k, v) in seen.sorted(by: { $0.key < $1.key }) { json.field(k, v) }
        json.endObject()
    }

    /// Go's `time.Time.String()` in UTC: `2017-08-08 02:55:10 +0000 UTC`.
    static func goTimeString(unixSeconds: Int64) -> String {
        let c = CivilTime(unixSeconds: unixSeconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000 UTC"
    }
}
