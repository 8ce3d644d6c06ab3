import Metrics

/// The Prometheus text exposition format (0.0.4) of the registry, as go-metrics' Prometheus
/// sink and client_golang write Consul's: names with `.` (and ` `, `=`, `-`, `/`) turned into
/// `_`, counters as running totals without `_total`, gauges as last values, samples as
/// summaries (quantiles 0.5/0.9/0.99 over the last 10 s, `NaN` when none, then `_sum` and
/// `_count`); series not updated within the retention time are dropped; families sorted by name;
/// then the process's own `process_*` series.
enum PrometheusText {
    static let quantiles = [0.5, 0.9, 0.99]

    static func render(_ registry: MetricsRegistry, retentionNanoseconds: UInt64, process: ProcessFacts) -> String {
        let oldest = registry.wallNanoseconds - Int64(clamping: retentionNanoseconds)
        var families: [String: (type: String, help: String, metrics: [Metric])] = [:]
        // Metrics Consul declares (those with help) are always there, from 0; others only while
        // updated within the retention time.
        for metric in registry.all where metric.enabled && (metric.help != nil || (metric.totalCount > 0 && metric.lastUpdatedNanoseconds >= oldest)) {
            let name = flatten(metric.name)
            let type = metric.kind == .counter ? "counter" : metric.kind == .gauge ? "gauge" : "summary"
            families[name, default: (type, metric.help ?? name, [])].metrics.append(metric)
        }
        var out = ""
        for (name, family) in families.sorted(by: { $0.key < $1.key }) {
            out += "# HELP \(name) \(escapeHelp(family.help))\n# TYPE \(name) \(family.type)\n"
            let metrics = family.metrics.sorted { ($0.labels.count, labelText($0.labels)) < ($1.labels.count, labelText($1.labels)) }
            for metric in metrics {
                switch metric.kind {
                case .counter: out += "\(name)\(labelText(metric.labels)) \(GoFloat.prometheus(metric.total))\n"
                case .gauge: out += "\(name)\(labelText(metric.labels)) \(GoFloat.prometheus(metric.lastValue))\n"
                case .sample:
                    for q in quantiles {
                        let value = metric.quantile(q, windowNanoseconds: MetricsRegistry.intervalNanoseconds) ?? .nan
                        out += "\(name)\(labelText(metric.labels + [("quantile", GoFloat.prometheus(q))])) \(GoFloat.prometheus(value))\n"
                    }
                    out += "\(name)_sum\(labelText(metric.labels)) \(GoFloat.prometheus(metric.total))\n"
                    out += "\(name)_count\(labelText(metric.labels)) \(metric.totalCount)\n"
                }
            }
        }
        for series in process.prometheusSeries {
            out += "# HELP \(series.name) \(series.help)\n# TYPE \(series.name) \(series.type)\n\(series.name) \(GoFloat.prometheus(series.value))\n"
        }
        return out
    }

    static func flatten(_ name: String) -> String {
        String(name.map { " .=-/".contains($0) ? "_" : $0 })
    }

    /// `{k="v",…}` sorted by label name (a summary's `quantile` last); "" without labels.
    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let quantile = labels.filter { $0.0 == "quantile" }
        let ordered = labels.filter { $0.0 != "quantile" }.sorted { $0.0 < $1.0 } + quantile
        return "{" + ordered.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }
}

private extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
