/// go-metrics' statsd sink and DogStatsD sink (datadog-go) as line formatters: every update of
/// an enabled metric becomes one line, and lines are packed into datagrams of at most
/// `maxDatagram` bytes that the owner sends over UDP every 100 ms (both libraries' flush period).
///
/// statsd: `name.labelvalue…:1.500000|c` — label values appended to the name, values as Go's `%f`.
/// DogStatsD: `name:1.5|g|#label:value,…` — labels (and `dogstatsd_tags`) as tags, the host name
/// taken out of gauge names, counters as integers, other values in Go's shortest `'f'` form.
public final class StatsdLines {
    public enum Dialect: Sendable, Equatable {
        case statsd
        case dogstatsd(tags: [String])
    }

    /// Both libraries' UDP payload bound (fits an Ethernet MTU with headers).
    public static let maxDatagram = 1432
    /// Datagrams kept while nobody takes them (the loop stalled): beyond it the oldest go.
    static let maxQueued = 1024

    public let dialect: Dialect
    /// The gauge host infix (`consul.<host>.x`) DogStatsD splices out of names.
    private let hostInfix: String?
    private var datagrams: [[UInt8]] = []
    private var current: [UInt8] = []
    /// Each metric's line start (`name:`) and end (`|c`, `|g|#tags`), made on first use.
    private var shapes: [ObjectIdentifier: (head: [UInt8], tail: [UInt8])] = [:]
    public private(set) var droppedDatagrams = 0

    public init(_ dialect: Dialect, hostInfix: String?) {
        self.dialect = dialect
        self.hostInfix = hostInfix
    }

    /// The datagrams filled so far plus the partial one; the buffer is empty afterwards.
    public func take() -> [[UInt8]] {
        if !current.isEmpty { seal() }
        defer { datagrams.removeAll(keepingCapacity: true) }
        return datagrams
    }

    func append(_ metric: Metric, _ value: Double) {
        let shape = shapes[ObjectIdentifier(metric)] ?? makeShape(metric)
        var line = shape.head
        line += Array(format(value, metric.kind).utf8)
        line += shape.tail
        line.append(10)
        if current.count + line.count > Self.maxDatagram && !current.isEmpty { seal() }
        current += line
    }

    private func seal() {
        if datagrams.count >= Self.maxQueued {
            datagrams.removeFirst()
            droppedDatagrams += 1
        }
        datagrams.append(current)
        current = []
    }

    private func format(_ value: Double, _ kind: MetricKind) -> String {
        switch dialect {
        case .statsd: return GoFloat.fixed6(value)
        case .dogstatsd: return kind == .counter ? String(Int64(exactly: value.rounded(.towardZero)) ?? 0) : GoFloat.plainShortest(value)
        }
    }

    private func makeShape(_ metric: Metric) -> (head: [UInt8], tail: [UInt8]) {
        let type: String
        switch metric.kind {
        case .counter: type = "|c"
        case .gauge: type = "|g"
        case .sample: type = "|ms"
        }
        let shape: (head: [UInt8], tail: [UInt8])
        switch dialect {
        case .statsd:
            let name = ([metric.name] + metric.labels.map(\.1)).joined(separator: ".")
            shape = (Array((Self.sanitized(name) + ":").utf8), Array(type.utf8))
        case .dogstatsd(let globalTags):
            var name = metric.name
            if metric.kind == .gauge, let host = hostInfix {
                // go-metrics' DogStatsD sink drops the host name from the key (a tag's job).
                var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                if let i = parts.firstIndex(of: host) { parts.remove(at: i) }
                name = parts.joined(separator: ".")
            }
            let tags = globalTags + metric.labels.map { "\(Self.tagSafe($0.0)):\(Self.tagSafe($0.1))" }
            shape = (Array((Self.sanitized(name) + ":").utf8), Array((type + (tags.isEmpty ? "" : "|#" + tags.joined(separator: ","))).utf8))
        }
        shapes[ObjectIdentifier(metric)] = shape
        return shape
    }

    /// go-metrics' DogStatsD rule for label names and values: space . = - / become `_`.
    static func tagSafe(_ text: String) -> String {
        String(text.map { " .=-/".contains($0) ? "_" : $0 })
    }

    /// Both sinks' key rule: `:` and space become `_`.
    static func sanitized(_ name: String) -> String {
        String(name.map { $0 == ":" || $0 == " " ? "_" : $0 })
    }
}
