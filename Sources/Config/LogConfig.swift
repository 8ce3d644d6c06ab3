/// Where and how the agent logs (`log_json`, `log_file` and its rotation, `enable_syslog`), as
/// Consul's agent configures it.
public struct LogConfig: Equatable, Sendable {
    /// `log_json` / `-log-json`: one JSON object per line (`@level`, `@message`, `@module`,
    /// `@timestamp`, then the line's fields), as hclog writes them.
    public var json = false
    /// `log_file` / `-log-file`: also log to this file; a path ending in `/` names a directory
    /// and the file `consul.log` in it.
    public var file = ""
    /// `log_rotate_bytes`: rotate once the file holds this many bytes (0: no size limit).
    public var rotateBytes = 0
    /// `log_rotate_duration`: rotate a file this long after it was opened (Consul: 24h).
    public var rotateDurationNanoseconds: UInt64 = 24 * 3_600_000_000_000
    /// `log_rotate_max_files`: rotated files kept (0: all; -1: none).
    public var rotateMaxFiles = 0
    /// `enable_syslog` / `-syslog`, and `syslog_facility` (Consul: LOCAL0).
    public var syslog = false
    public var syslogFacility = "LOCAL0"

    public init() {}

    /// Syslog facilities Consul accepts, by name.
    public static let facilities = ["KERN", "USER", "MAIL", "DAEMON", "AUTH", "SYSLOG", "LPR", "NEWS", "UUCP", "CRON",
                                    "AUTHPRIV", "FTP", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5",
                                    "LOCAL6", "LOCAL7"]

    /// The directory and file name `file` stands for.
    public var fileLocation: (directory: String, name: String)? {
        guard !file.isEmpty else { return nil }
        guard let slash = file.lastIndex(of: "/") else { return (".", file) }
        let directory = file[..<slash].isEmpty ? "/" : String(file[..<slash])
        let name = String(file[file.index(after: slash)...])
        return (directory, name.isEmpty ? "consul.log" : name)
    }
}

/// The `telemetry` stanza's keys this build acts on (docs/metrics.md).
public struct TelemetryConfig: Equatable, Sendable {
    /// `prometheus_retention_time`: > 0 turns on `?format=prometheus` and is how long a series
    /// nobody updates stays in it.
    public var prometheusRetentionNanoseconds: UInt64 = 0
    /// `disable_hostname`: without it, and with Prometheus on, gauge names carry the host name
    /// after the prefix (`consul.<host>.runtime.alloc_bytes`), as Consul's.
    public var disableHostname = false
    /// `metrics_prefix` (default `consul`).
    public var metricsPrefix = "consul"
    /// `filter_default`: whether a metric no `prefix_filter` rule names is kept (default true).
    public var filterDefault = true
    /// `prefix_filter`: `+prefix` keeps, `-prefix` drops; the longest matching prefix decides.
    public var prefixFilter: [String] = []
    /// `statsd_address` (`host:port`): every update as a statsd line over UDP.
    public var statsdAddress = ""
    /// `dogstatsd_addr` (`host:port`) and `dogstatsd_tags`: the same in DogStatsD's dialect.
    public var dogstatsdAddress = ""
    public var dogstatsdTags: [String] = []
    public init() {}
}
