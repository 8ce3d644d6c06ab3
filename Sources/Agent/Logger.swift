import HTTP1
import Platform

/// Consul-style log lines: `2026-11-25T16:36:12.123Z [INFO]  agent.http: message: key=value`.
public final class Logger: Logging {
    public let name: String
    public var level: LogLevel
    private let sink: LogSink
    private let clock: EventLoopClock
    /// Live readers (`consul monitor`), who may want more detail than the sink gets.
    let tap: LogTap

    public init(name: String, level: LogLevel, sink: LogSink, clock: EventLoopClock) {
        self.name = name
        self.level = level
        self.sink = sink
        self.clock = clock
        self.tap = LogTap()
    }

    private init(name: String, level: LogLevel, sink: LogSink, clock: EventLoopClock, tap: LogTap) {
        self.name = name
        self.level = level
        self.sink = sink
        self.clock = clock
        self.tap = tap
    }

    /// A logger for a sub-system (`agent` → `agent.http`), sharing sink, level and readers.
    public func named(_ sub: String) -> Logger {
        Logger(name: "\(name).\(sub)", level: level, sink: sink, clock: clock, tap: tap)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        let toSink = level >= self.level
        let toTap = tap.wants(level)
        guard toSink || toTap else { return }
        var line = CivilTime.iso8601(unixNanoseconds: clock.wallClockNanoseconds)
        line += " " + level.tag + name + ": " + message
        if !fields.isEmpty {
            line += ":"
            for (k, v) in fields { line += " \(k)=\(v.contains(" ") ? "\"\(v)\"" : v)" }
        }
        if toSink { sink.write(line: line) }
        if toTap { tap.deliver(level, line) }
    }

    public func trace(_ m: String, _ f: [(String, String)] = []) { log(.trace, m, f) }
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
