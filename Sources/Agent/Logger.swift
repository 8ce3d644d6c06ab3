import HTTP1
import Platform

/// Consul-style log lines: `2026-11-25T16:36:12.123Z [INFO]  agent.http: message: key=value`.
public final class Logger {
    public let name: String
    public var level: LogLevel
    private let sink: LogSink
    private let clock: EventLoopClock

    public init(name: String, level: LogLevel, sink: LogSink, clock: EventLoopClock) {
        self.name = name
        self.level = level
        self.sink = sink
        self.clock = clock
    }

    /// A logger for a sub-system (`agent` → `agent.http`), sharing sink and level.
    public func named(_ sub: String) -> Logger {
        Logger(name: "\(name).\(sub)", level: level, sink: sink, clock: clock)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= self.level else { return }
        var line = CivilTime.iso8601(unixNanoseconds: clock.wallClockNanoseconds)
        line += " " + level.tag + name + ": " + message
        if !fields.isEmpty {
            line += ":"
            for (k, v) in fields { line += " \(k)=\(v.contains(" ") ? "\"\(v)\"" : v)" }
        }
        sink.write(line: line)
    }

    public func trace(_ m: String, _ f: [(String, String)] = []) { log(.trace, m, f) }
    public func debug(_ m: String, _ f: [(String, String)] = []) { log(.debug, m, f) }
    public func info(_ m: String, _ f: [(String, String)] = []) { log(.info, m, f) }
    public func warn(_ m: String, _ f: [(String, String)] = []) { log(.warn, m, f) }
    public func error(_ m: String, _ f: [(String, String)] = []) { log(.error, m, f) }
}
