/// Log severities in Consul's order and spelling.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case trace, debug, info, warn, error

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    /// Parses Consul's `-log-level` values (case-insensitive; `warning`/`err` accepted too).
    public init?(name: String) {
        switch name.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "err", "error": self = .error
        default: return nil
        }
    }

    /// The name hclog's JSON lines give it (`@level`).
    public var jsonName: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        }
    }

    /// The bracketed tag Consul prints, padded to a common width (`[INFO]  `).
    public var tag: String {
        switch self {
        case .trace: return "[TRACE] "
        case .debug: return "[DEBUG] "
        case .info: return "[INFO]  "
        case .warn: return "[WARN]  "
        case .error: return "[ERROR] "
        }
    }
}

/// Where formatted log lines go (stderr in the binary, a buffer in tests).
public protocol LogSink: AnyObject {
    func write(line: String)
    /// A line of `level` (syslog maps it to a priority); by default just the line.
    func write(line: String, level: LogLevel)
}

extension LogSink {
    public func write(line: String, level: LogLevel) { write(line: line) }
}

/// Something that logs leveled, structured lines (the agent's `Logger`); what modules below the
/// agent (the server) are handed instead of a concrete logger.
public protocol Logging: AnyObject {
    func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)])
}

extension Logging {
    public func debug(_ message: String, _ fields: [(String, String)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, String)] = []) { log(.info, message, fields) }
    public func warn(_ message: String, _ fields: [(String, String)] = []) { log(.warn, message, fields) }
    public func error(_ message: String, _ fields: [(String, String)] = []) { log(.error, message, fields) }
}
