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
    public func addSink(_ sink: StatsdLines) { time.addSink(sink) }

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

/// The registry's notion of now, advanced by `tick`. Its values live behind a pointer: every
/// update reads them, and a class's stored `var`s would cost a dynamic exclusivity check
/// (`swift_beginAccess`, ~100 instructions) on each access; a pointee costs none.
final class MetricsTime {
    struct Values {
        var wallNanoseconds: Int64
        var currentInterval: Int64
        /// True once a statsd / DogStatsD formatter is attached (updates then also go there).
        var hasSinks = false
    }

    let values: UnsafeMutablePointer<Values>
    /// statsd / DogStatsD formatters every update is also written to (usually none).
    private(set) var sinks: [StatsdLines] = []

    init(wallNanoseconds: Int64) {
        values = .allocate(capacity: 1)
        values.initialize(to: Values(wallNanoseconds: wallNanoseconds, currentInterval: wallNanoseconds / MetricsRegistry.intervalNanoseconds))
    }

    deinit {
        values.deinitialize(count: 1)
        values.deallocate()
    }

    var wallNanoseconds: Int64 {
        get { values.pointee.wallNanoseconds }
        set { values.pointee.wallNanoseconds = newValue }
    }

    var currentInterval: Int64 {
        get { values.pointee.currentInterval }
        set { values.pointee.currentInterval = newValue }
    }

    func addSink(_ sink: StatsdLines) {
        sinks.append(sink)
        values.pointee.hasSinks = true
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

    /// What updates change, behind a pointer for the same reason as `MetricsTime.values`.
    private struct State {
        var interval: Int64 = .min
        var current = Aggregate()
        var currentGauge = 0.0
        var previousInterval: Int64 = .min
        var previous = Aggregate()
        var previousGauge = 0.0
        var total = 0.0
        var totalCount = 0
        var lastValue = 0.0
        var lastUpdatedNanoseconds: Int64 = 0
        /// Recent observations (value, wall ns) for quantiles, a ring allocated on first use.
        var recent: [(Double, Int64)] = []
        var recentNext = 0
    }

    private let state: UnsafeMutablePointer<State>

    /// Since start: counters' total, samples' count and sum, a gauge's last value.
    public var total: Double { state.pointee.total }
    public var totalCount: Int { state.pointee.totalCount }
    public var lastValue: Double { state.pointee.lastValue }
    public var lastUpdatedNanoseconds: Int64 { state.pointee.lastUpdatedNanoseconds }

    init(kind: MetricKind, name: String, labels: [(String, String)], help: String?, key: String, time: MetricsTime, enabled: Bool) {
        self.enabled = enabled
        self.kind = kind
        self.name = name
        self.labels = labels
        self.help = help
        self.key = key
        self.time = time
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
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
        let entry = (value, time.values.pointee.wallNanoseconds)
        let s = state
        if s.pointee.recent.count < MetricsRegistry.recentCapacity {
            if s.pointee.recent.isEmpty { s.pointee.recent.reserveCapacity(MetricsRegistry.recentCapacity) }
            s.pointee.recent.append(entry)
        } else {
            s.pointee.recent[s.pointee.recentNext] = entry
        }
        s.pointee.recentNext = (s.pointee.recentNext + 1) % MetricsRegistry.recentCapacity
    }

    /// Samples: a duration in nanoseconds, recorded in milliseconds as go-metrics' timers.
    @inline(__always)
    public func observe(nanoseconds: UInt64) { observe(Double(nanoseconds) / 1_000_000) }

    @inline(__always)
    private func record(_ value: Double) {
        guard enabled else { return }
        let clock = time.values
        let now = clock.pointee.currentInterval
        let s = state
        if now != s.pointee.interval {
            if s.pointee.interval != .min {
                s.pointee.previousInterval = s.pointee.interval
                s.pointee.previous = s.pointee.current
                s.pointee.previousGauge = s.pointee.currentGauge
            }
            s.pointee.interval = now
            s.pointee.current = Aggregate()
        }
        s.pointee.current.add(value)
        s.pointee.currentGauge = value
        s.pointee.lastValue = value
        s.pointee.total += value
        s.pointee.totalCount += 1
        s.pointee.lastUpdatedNanoseconds = clock.pointee.wallNanoseconds
        if clock.pointee.hasSinks { for sink in time.sinks { sink.append(self, value) } }
    }

    func data(in wanted: Int64) -> (aggregate: Aggregate, gauge: Double)? {
        let s = state.pointee
        if wanted == s.interval { return (s.current, s.currentGauge) }
        if wanted == s.previousInterval { return (s.previous, s.previousGauge) }
        return nil
    }

    /// The `q` quantile (0…1) of the observations of the last `windowNanoseconds`; nil when none.
    public func quantile(_ q: Double, windowNanoseconds: Int64) -> Double? {
        let since = time.wallNanoseconds - windowNanoseconds
        let values = state.pointee.recent.filter { $0.1 > since }.map(\.0).sorted()
        guard !values.isEmpty else { return nil }
        let rank = Int((q * Double(values.count)).rounded(.up)) - 1
        return values[Swift.max(0, Swift.min(values.count - 1, rank))]
    }
}
