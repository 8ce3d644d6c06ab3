import ConsulAPI
import ConsulClient
import Glibc
import HTTP1
import LiveRuntime
import Wire

/// `consul debug`: a bundle for a bug report, laid out as Consul's (docs/metrics.md): static
/// `agent.json`, `members.json`, `host.json`; over `-duration`, the metrics every `-interval`
/// (`metrics.json`, one JSON object after another) and the log at trace level (`consul.log`);
/// `index.json`; archived as `<output>.tar.gz`. No secrets: `/v1/agent/self` carries no keys.
enum DebugCommand {
    static let help = """
    Usage: consul debug [options]

      Monitors a Consul agent for the specified period of time, recording
      information about the agent, cluster, and environment to an archive
      written to the current directory.

      Providing no arguments will capture all available targets for the
      default duration and interval.
    """

    static let targets = ["metrics", "logs", "pprof", "host", "agent", "members"]
    static let minimumDurationNanos: Int64 = 10_000_000_000
    static let minimumIntervalNanos: Int64 = 5_000_000_000

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("duration", "<duration>", "The total time to record information. Must be longer than the interval. Defaults to 5m.")
        flags.value("interval", "<duration>", "The interval in which to capture dynamic information such as telemetry, and profiling. Defaults to 30s.")
        flags.list("capture", "<target>", "One or more types of information to capture. Defaults to all: \(targets.joined(separator: ", ")).")
        flags.value("output", "<path>", "The path to the compressed archive that will be created with the information after collection.")
        flags.bool("archive", "Boolean value for if the archive should be created. Defaults to true.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard flags.positional.isEmpty else {
            console.error("debug: Too many arguments provided, expected 0")
            return 1
        }
        let duration = flags.string("duration").flatMap { GoDuration.parse($0) } ?? 300_000_000_000
        let interval = flags.string("interval").flatMap { GoDuration.parse($0) } ?? 30_000_000_000
        let archive = flags.isSet("archive") ? flags.flag("archive") : true
        var capture = flags.strings("capture").map { $0 == "cluster" ? "members" : $0 }
        if capture.isEmpty { capture = targets }
        let output = flags.string("output") ?? "consul-debug-\(timestampForName(WallClock.nanoseconds))"

        let client: ConsulHTTPClient
        let agentVersion: String
        do {
            client = try HTTPFlags.client(flags)
            if let problem = validate(duration: duration, interval: interval, capture: capture, output: output) {
                console.error("Capture validation failed: \(problem)")
                return 1
            }
            let me = try client.json(try client.sendExpectingOK("GET", "/v1/agent/self"))
            guard let version = me["Config"]?["Version"]?.stringValue else {
                console.error("Capture validation failed: agent response did not contain version key")
                return 1
            }
            agentVersion = version
        } catch {
            console.error("Capture validation failed: error querying target agent: \(error). verify connectivity and agent address")
            return 1
        }
        if capture.contains("pprof") {
            console.error("[WARN] Unable to capture pprof: this agent has no Go profiler; the other targets are captured.")
            capture.removeAll { $0 == "pprof" }
        }
        do { try Files.makeDirectories(output, mode: 0o755) } catch {
            console.error("Capture validation failed: could not create output directory: \(error)")
            return 1
        }
        console.info("==> Starting debugger and capturing static information...")
        console.info("     Agent Version: '\(agentVersion)'")
        console.info("          Interval: '\(GoDuration.format(interval))'")
        console.info("          Duration: '\(GoDuration.format(duration))'")
        console.info("            Output: '\(archive ? output + ".tar.gz" : output)'")
        console.info("           Capture: '\(capture.joined(separator: ", "))'")

        for (target, path, file) in [("agent", "/v1/agent/self", "agent.json"), ("members", "/v1/agent/members", "members.json"),
                                     ("host", "/v1/agent/host", "host.json")] where capture.contains(target) {
            do {
                let query: [(String, String?)] = target == "members" ? [("wan", "1"), ("pretty", nil)] : [("pretty", nil)]
                let body = try client.sendExpectingOK("GET", path, query: query).body
                try Files.writeAtomically(output + "/" + file, body, mode: 0o644)
            } catch {
                console.error("Static capture failed: \(target): \(error)")
            }
        }
        if capture.contains("metrics") || capture.contains("logs") {
            captureDynamic(client, capture: capture, duration: duration, interval: interval, output: output, console)
        }
        do { try writeIndex(output, version: agentVersion, duration: duration, interval: interval, targets: capture) } catch {
            console.error("Error creating index document: \(error)")
            return 1
        }
        guard archive else { return 0 }
        do { try writeArchive(output) } catch {
            console.error("Archive creation failed: \(error)")
            return 1
        }
        console.info("    Saved debug archive: \(output).tar.gz")
        return 0
    }

    static func validate(duration: Int64, interval: Int64, capture: [String], output: String) -> String? {
        if duration < minimumDurationNanos { return "duration must be longer than 10s" }
        if interval < minimumIntervalNanos { return "interval must be longer than 5s" }
        if duration < interval { return "duration (\(GoDuration.format(duration))) must be longer than interval (\(GoDuration.format(interval)))" }
        if let unknown = capture.first(where: { !targets.contains($0) }) { return "target not found: \(unknown)" }
        if Files.exists(output) || Files.exists(output + ".tar.gz") { return "output directory already exists: \(output)" }
        return nil
    }

    /// Metrics every interval and the log at trace level, for `duration`.
    private static func captureDynamic(_ client: ConsulHTTPClient, capture: [String], duration: Int64, interval: Int64,
                                       output: String, _ console: Console) {
        let log = LogCapture()
        if capture.contains("logs") {
            DetachedThread.start {
                do {
                    try client.stream("/v1/agent/monitor", query: [("loglevel", "TRACE")]) { bytes in log.append(bytes) }
                } catch {
                    log.append(Array("[ERROR] debug: log capture ended: \(error)\n".utf8))
                }
            }
        }
        let start = WallClock.nanoseconds
        var metrics: [UInt8] = []
        var round = 0
        while true {
            let now = WallClock.nanoseconds
            if capture.contains("metrics") {
                console.info("==> Beginning capture interval \(goTime(now)) (\(round))")
                do {
                    metrics += try client.sendExpectingOK("GET", "/v1/agent/metrics", query: [("pretty", nil)]).body
                    console.info("==> Capture successful \(goTime(WallClock.nanoseconds)) (\(round))")
                } catch {
                    console.error("Error encountered during collection: \(error)")
                }
            }
            round += 1
            let next = start + Int64(round) * interval
            guard next < start + duration else { break }
            DetachedThread.sleep(nanoseconds: UInt64(max(0, next - WallClock.nanoseconds)))
        }
        let end = start + duration
        DetachedThread.sleep(nanoseconds: UInt64(max(0, end - WallClock.nanoseconds)))
        do {
            if capture.contains("metrics") { try Files.writeAtomically(output + "/metrics.json", metrics, mode: 0o644) }
            if capture.contains("logs") { try Files.writeAtomically(output + "/consul.log", log.take(), mode: 0o644) }
        } catch {
            console.error("Error encountered during collection: \(error)")
        }
    }

    private static func writeIndex(_ output: String, version: String, duration: Int64, interval: Int64, targets: [String]) throws {
        var json = JSONWriter(indent: "\t")
        json.beginObject()
        json.field("Version", 1)
        json.field("AgentVersion", version)
        json.field("Interval", GoDuration.format(interval))
        json.field("Duration", GoDuration.format(duration))
        json.key("Targets")
        json.beginArray()
        for t in targets { json.string(t) }
        json.endArray()
        json.endObject()
        try Files.writeAtomically(output + "/index.json", json.finish(), mode: 0o644)
    }

    /// `<output>.tar.gz` holding `<name>/<file>` for every file, then the directory removed.
    private static func writeArchive(_ output: String) throws {
        let name = String(output.split(separator: "/").last ?? Substring(output))
        let seconds = UInt64(WallClock.nanoseconds / 1_000_000_000)
        var tar: [UInt8] = []
        let files = try Files.list(output).sorted()
        for file in files {
            tar += Tar.file(name: "\(name)/\(file)", data: try Files.read(output + "/" + file), modifiedSeconds: seconds, mode: 0o644)
        }
        tar += Tar.endOfArchive
        try Files.writeAtomically(output + ".tar.gz", GzipStored.wrap(tar, modifiedSeconds: UInt32(truncatingIfNeeded: seconds)), mode: 0o644)
        try Files.syncDirectory(of: output + ".tar.gz")
        for file in files { unlink(output + "/" + file) }
        rmdir(output)
    }

    /// `2026-12-07T23-40-00Z`, as Consul names the bundle.
    static func timestampForName(_ nanos: Int64) -> String {
        let text = goTime(nanos)  // 2026-12-07 23:40:00.123 +0000 UTC
        let date = text.prefix(10), time = text.dropFirst(11).prefix(8)
        return "\(date)T\(time.replacingAll(":", with: "-"))Z"
    }

    /// Go's time format Consul prints: `2026-12-07 23:40:00.123 +0000 UTC`.
    static func goTime(_ nanos: Int64) -> String {
        let iso = CivilTime.iso8601(unixNanoseconds: nanos)  // 2026-12-07T23:40:00.123Z
        return iso.prefix(10) + " " + iso.dropFirst(11).dropLast() + " +0000 UTC"
    }
}

/// The log lines the monitor stream delivered, shared with the thread that reads them.
private final class LogCapture {
    private var bytes: [UInt8] = []
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func append(_ more: [UInt8]) -> Bool {
        pthread_mutex_lock(&lock)
        bytes += more
        pthread_mutex_unlock(&lock)
        return true
    }
    func take() -> [UInt8] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return bytes
    }
}

private extension Substring {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
