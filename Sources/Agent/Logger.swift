import ConsulAPI
import HTTP1
import Platform

/// Consul-style log lines: `2026-11-25T16:36:12.123Z [INFO]  agent.http: message: key=value`,
/// or with `log_json` hclog's JSON objects:
/// `{"@level":"info","@message":"message","@module":"agent.http","@timestamp":"…","key":"value"}`.
public final class Logger: Logging {
    public let name: String
    private let settings: LogSettings
    private let sink: LogSink
    private let clock: EventLoopClock
    /// Live readers (`consul monitor`), who may want more detail than the sink gets.
    let tap: LogTap

    /// The lowest level written to the sink; shared by every logger `named` from this one, so a
    /// reload's new `log_level` reaches them all.
    public var level: LogLevel {
        get { settings.level }
        set { settings.level = newValue }
    }

    public init(name: String, level: LogLevel, json: Bool = false, sink: LogSink, clock: EventLoopClock) {
        self.name = name
        self.settings = LogSettings(level: level, json: json)
        self.sink = sink
        self.clock = clock
        self.tap = LogTap()
    }

    private init(name: String, settings: LogSettings, sink: LogSink, clock: EventLoopClock, tap: LogTap) {
        self.name = name
        self.settings = settings
        self.sink = sink
        self.clock = clock
        self.tap = tap
    }

    /// A logger for a sub-system (`agent` → `agent.http`), sharing sink, settings and readers.
    public func named(_ sub: String) -> Logger {
        Logger(name: "\(name).\(sub)", settings: settings, sink: sink, clock: clock, tap: tap)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        let toSink = level >= settings.level
        let toTap = tap.wants(level)
        guard toSink || toTap else { return }
        let now = clock.wallClockNanoseconds
        let text = textLine(level, message, fields, now)
        if toSink { sink.write(line: settings.json ? jsonLine(level, message, fields, now) : text, level: level) }
        // `consul monitor` reads text lines (its own -log-json is not offered).
        if toTap { tap.deliver(level, text) }
    }

    private func textLine(_ level: LogLevel, _ message: String, _ fields: [(String, String)], _ now: Int64) -> String {
        var line = CivilTime.iso8601(unixNanoseconds: now)
        line += " " + level.tag + name + ": " + message
        if !fields.isEmpty {
            line += ":"
            for (k, v) in fields { line += " \(k)=\(v.contains(" ") ? "\"\(v)\"" : v)" }
        }
        return line
    }

    private func jsonLine(_ level: LogLevel, _ message: String, _ fields: [(String, String)], _ now: Int64) -> String {
        var json = JSONWriter(reserve: 128 + message.utf8.count)
        json.beginObject()
        json.field("@level", level.jsonName)
        json.field("@message", message)
        json.field("@module", name)
        json.field("@timestamp", CivilTime.iso8601(unixNanoseconds: now, fractionDigits: 6))
        for (k, v) in fields where !k.hasPrefix("@") { json.field(k, v) }
        json.endObject()
        return String(decoding: json.finish(), as: UTF8.self)
    }

    public func trace(_ m: String, _ f: [(String, String)] = []) { log(.trace, m, f) }
}

/// What every logger of one agent shares and a reload may change.
private final class LogSettings {
    var level: LogLevel
    let json: Bool
    init(level: LogLevel, json: Bool) {
        self.level = level
        self.json = json
    }
}

/// Who reads the log live besides the sink (`/v1/agent/monitor`), each from its own level up.
/// Loop-confined, like the loggers that feed it.
final class LogTap {
    private var readers: [UInt64: (level: LogLevel, read: (String) -> Void)] = [:]
    private var nextID: UInt64 = 0
    private var lowest: LogLevel?

    func wants(_ level: LogLevel) -> Bool { lowest.map { level >= $0 } ?? false }

    func add(level: LogLevel, _ read: @escaping (String) -> Void) -> UInt64 {
        nextID += 1
        readers[nextID] = (level, read)
        lowest = readers.values.map(\.level).min()
        return nextID
    }

    func remove(_ id: UInt64) {
        readers[id] = nil
        lowest = readers.values.map(\.level).min()
    }

    func deliver(_ level: LogLevel, _ line: String) {
        for reader in readers.values where level >= reader.level { reader.read(line) }
    }
}
