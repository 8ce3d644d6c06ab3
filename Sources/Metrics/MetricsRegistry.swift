/// The agent's metrics, named and labelled as Consul's (docs/metrics.md), aggregated as
/// go-metrics' in-memory sink does: 10-second intervals, the last minute kept per metric as the
/// current and previous interval, plus running totals and recent observations for Prometheus.
///
/// Loop-confined and lock-free. Callers look a metric up once (`counter`, `gauge`, `sample`)
/// and keep the handle; an update is then a compare and a few additions on the handle — no
/// lookup, no clock read, no allocation. The clock arrives through `tick(wallNanoseconds:)`,
/// which the owner calls every second (Consul emits its runtime gauges at the same rate).
public final class MetricsRegistry {
    public static let intervalNanoseconds: Int64 = 10_000_000_000
    /// Observations a sample keeps for Prometheus quantiles (the newest win).
    public static let recentCapacity = 512

    /// `telemetry.metrics_prefix`, the first part of every name ("consul").
    public let prefix: String
    /// The clock every handle reads (shared, held strongly: no reference counting per update).
    let time: MetricsTime
    /// The interval updates land in (wall-clock seconds / 10, as go-metrics truncates time).
    public var currentInterval: Int64 { time.currentInterval }
    /// The interval the registry started in: before it ends there is no finished interval.
    public let firstInterval: Int64
    public var wallNanoseconds: Int64 { time.wallNanoseconds }
    private var byKey: [String: Metric] = [:]
    /// Every metric in creation order.
    public private(set) var all: [Metric] = []

    /// Put after the prefix in gauge names only (go-metrics' host name: `consul.<host>.x`).
    public let gaugeInfix: String?

    /// `telemetry.filter_default` and `prefix_filter` (`+`/`-` rules on full names, the longest
    /// matching prefix decides); as Consul, `<prefix>.rpc.server.call` is dropped unless a rule
    /// names it. A dropped metric's handle works but records nothing and is never shown.
    private let filterDefault: Bool
    private let rules: [(prefix: String, allow: Bool)]

    public init(prefix: String = "consul", gaugeInfix: String? = nil, wallNanoseconds: Int64,
                filterDefault: Bool = true, prefixFilter: [String] = []) {
        self.prefix = prefix
        self.gaugeInfix = gaugeInfix
        self.filterDefault = filterDefault
        var rules = prefixFilter.map { (prefix: String($0.dropFirst()), allow: $0.hasPrefix("+")) }
        let rpcCall = prefix + ".rpc.server.call"
        if !rules.contains(where: { $0.prefix == rpcCall }) { rules.append((rpcCall, false)) }
        self.rules = rules
        time = MetricsTime(wallNanoseconds: wallNanoseconds)
        firstInterval = time.currentInterval
    }

    /// Sends every later update of an enabled metric to `sink` as well (`telemetry.statsd_address`,
    /// `dogstatsd_addr`).
    public func addSink(_ sink: StatsdLines) { time.sinks.append(sink) }

    /// Advances the clock; updates after it count towards the interval it falls in.
    public func tick(wallNanoseconds now: Int64) {
        time.wallNanoseconds = now
        time.currentInterval = now / Self.intervalNanoseconds
    }

    public func counter(_ name: String, labels: [(String, String)] = [], help: String? = nil) -> Metric {
        metric(.counter, name, labels, help)
    }

    public func gauge(_ name: String, labels: [(String, String)] = [], help: String? = nil) -> Metric {
        metric(.gauge, name, labels, help)
    }

    /// A timer or other distribution (go-metrics' samples; timers in milliseconds).
    public func sample(_ name: String, labels: [(String, String)] = [], help: String? = nil) -> Metric {
        metric(.sample, name, labels, help)
    }

    /// `name` without the prefix (`raft.apply`); the same name and labels give the same handle.
    private func metric(_ kind: MetricKind, _ name: String, _ labels: [(String, String)], _ help: String?) -> Metric {
        let parts = [prefix, kind == .gauge ? gaugeInfix ?? "" : "", name].filter { !$0.isEmpty }
        let full = parts.joined(separator: ".")
        var key = full
        for (k, v) in labels { key += ";\(k)=\(v)" }
        if let existing = byKey[key] {
            precondition(existing.kind == kind, "metric \(full) used as \(kind) and \(existing.kind)")
            return existing
        }
        let created = Metric(kind: kind, name: full, labels: labels, help: help, key: key, time: time, enabled: allows(full))
        byKey[key] = created
        all.append(created)
        return created
    }

    /// Whether the filter keeps metric `name` (the full name).
    public func allows(_ name: String) -> Bool {
        var best: (length: Int, allow: Bool)?
        for rule in rules where name.hasPrefix(rule.prefix) && rule.prefix.count >= (best?.length ?? -1) {
            // Equal lengths: dropping wins, as Consul's.
            if let b = best, b.length == rule.prefix.count { best = (b.length, b.allow && rule.allow) } else { best = (rule.prefix.count, rule.allow) }
        }
        return best?.allow ?? filterDefault
    }

    /// The interval `/v1/agent/metrics` reports: the last finished one, or the current one
    /// while the registry is in its first (as go-metrics).
    public var displayInterval: Int64 { currentInterval == firstInterval ? currentInterval : currentInterval - 1 }

    /// Metrics with data in `interval`, sorted as go-metrics sorts them (by name, then labels).
    public func metrics(in interval: Int64, kind: MetricKind) -> [(metric: Metric, aggregate: Aggregate, gauge: Double)] {
        var out: [(metric: Metric, aggregate: Aggregate, gauge: Double)] = []
        for m in all where m.kind == kind && m.enabled {
            if let data = m.data(in: interval) { out.append((m, data.aggregate, data.gauge)) }
        }
        return out.sorted { $0.metric.key < $1.metric.key }
    }
}

public enum MetricKind: Sendable { case counter, gauge, sample }

/// The registry's notion of now, advanced by `tick`.
final class MetricsTime {
    var wallNanoseconds: Int64
    var currentInterval: Int64
    /// statsd / DogStatsD formatters every update is also written to (usually none).
    var sinks: [StatsdLines] = []
    init(wallNanoseconds: Int64) {
        self.wallNanoseconds = wallNanoseconds
        currentInterval = wallNanoseconds / MetricsRegistry.intervalNanoseconds
    }
}

/// One metric with one set of label values. Update it through the handle.
public final class Metric {
    public let kind: MetricKind
    /// The dotted name with the prefix (`consul.raft.apply`).
    public let name: String
    public let labels: [(String, String)]
    /// Prometheus' HELP text when Consul declares one; nil: the name is the help.
    public let help: String?
    /// `name;k=v;…`, go-metrics' sort key.
    let key: String
    /// False when `telemetry`'s filter drops it: updates do nothing.
    public let enabled: Bool
    private let time: MetricsTime

    private var interval: Int64 = .min
    private var current = Aggregate()
    private var currentGauge = 0.0
    private var previousInterval: Int64 = .min
    private var previous = Aggregate()
    private var previousGauge = 0.0

    /// Since start: counters' total, samples' count and sum, a gauge's last value.
    public private(set) var total = 0.0
    public private(set) var totalCount = 0
    public private(set) var lastValue = 0.0
    public private(set) var lastUpdatedNanoseconds: Int64 = 0
    /// Recent observations (value, wall ns) for quantiles, a ring allocated on first use.
    private var recent: [(Double, Int64)] = []
    private var recentNext = 0

    init(kind: MetricKind, name: String, labels: [(String, String)], help: String?, key: String, time: MetricsTime, enabled: Bool) {
        self.enabled = enabled
        self.kind = kind
        self.name = name
        self.labels = labels
        self.help = help
        self.key = key
        self.time = time
    }

    /// Counters: adds `value` (1 by default).
    @inline(__always)
    public func increment(by value: Double = 1) { record(value) }

    /// Gauges: the value now.
    @inline(__always)
    public func set(_ value: Double) { record(value) }

    /// Samples: one observation (a timer's milliseconds).
    @inline(__always)
    public func observe(_ value: Double) {
        guard enabled else { return }
        record(value)
        if recent.isEmpty { recent.reserveCapacity(MetricsRegistry.recentCapacity) }
        let entry = (value, time.wallNanoseconds)
        if recent.count < MetricsRegistry.recentCapacity { recent.append(entry) } else { recent[recentNext] = entry }
        recentNext = (recentNext + 1) % MetricsRegistry.recentCapacity
    }

    /// Samples: a duration in nanoseconds, recorded in milliseconds as go-metrics' timers.
    @inline(__always)
    public func observe(nanoseconds: UInt64) { observe(Double(nanoseconds) / 1_000_000) }

    @inline(__always)
    private func record(_ value: Double) {
        guard enabled else { return }
        let now = time.currentInterval
        if now != interval {
            if interval != .min {
                previousInterval = interval
                previous = current
                previousGauge = currentGauge
            }
            interval = now
            current = Aggregate()
        }
        current.add(value)
        if !time.sinks.isEmpty { for sink in time.sinks { sink.append(self, value) } }
        currentGauge = value
        lastValue = value
        total += value
        totalCount += 1
        lastUpdatedNanoseconds = time.wallNanoseconds
    }

    func data(in wanted: Int64) -> (aggregate: Aggregate, gauge: Double)? {
        if wanted == interval { return (current, currentGauge) }
        if wanted == previousInterval { return (previous, previousGauge) }
        return nil
    }

    /// The `q` quantile (0…1) of the observations of the last `windowNanoseconds`; nil when none.
    public func quantile(_ q: Double, windowNanoseconds: Int64) -> Double? {
        let since = time.wallNanoseconds - windowNanoseconds
        let values = recent.filter { $0.1 > since }.map(\.0).sorted()
        guard !values.isEmpty else { return nil }
        let rank = Int((q * Double(values.count)).rounded(.up)) - 1
        return values[Swift.max(0, Swift.min(values.count - 1, rank))]
    }
}
