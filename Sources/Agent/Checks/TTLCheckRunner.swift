import Platform

/// TTL check: the application reports its own status (`/v1/agent/check/pass|warn|fail|update`);
/// if no report arrives within the TTL the check turns critical with output `TTL expired` (plus
/// the last output). Reports skip the thresholds, as in Consul. The check's status before the
/// first report is the definition's initial status (critical unless `Status` was given), which
/// the agent records when it registers the check.
public final class TTLCheckRunner: CheckRunner {
    public let checkID: String
    public let ttlNanoseconds: UInt64
    public let outputMaxSize: Int
    private let clock: EventLoopClock
    private let report: (CheckStatusUpdate) -> Void
    private let log: CheckLog
    private var timer: TimerHandle?
    private var lastOutput = ""
    private var started = false
    private var stopped = false

    init(checkID: String, ttlNanoseconds: UInt64, outputMaxSize: Int, clock: EventLoopClock, log: @escaping CheckLog,
         report: @escaping (CheckStatusUpdate) -> Void) {
        self.checkID = checkID
        self.ttlNanoseconds = ttlNanoseconds
        self.outputMaxSize = outputMaxSize
        self.clock = clock
        self.report = report
        self.log = log
    }

    public func start() {
        guard !started, !stopped else { return }
        started = true
        arm()
    }

    public func stop() {
        stopped = true
        timer?.cancel()
        timer = nil
    }

    /// Records a status from the application and restarts the TTL. Returns the output as stored
    /// (cut to `outputMaxSize` bytes with Consul's note), which is what the agent persists.
    @discardableResult
    public func update(status: String, output: String) -> String {
        let stored = TTLCheckRunner.truncated(output, limit: outputMaxSize)
        guard !stopped else { return stored }
        report(CheckStatusUpdate(checkID: checkID, status: status, output: stored))
        lastOutput = stored
        if started { arm() }
        return stored
    }

    @discardableResult public func pass(note: String = "") -> String { update(status: "passing", output: note) }
    @discardableResult public func warn(note: String = "") -> String { update(status: "warning", output: note) }
    @discardableResult public func fail(note: String = "") -> String { update(status: "critical", output: note) }

    /// Consul's expiry output.
    var expiredOutput: String {
        lastOutput.isEmpty ? "TTL expired" : "TTL expired (last output before timeout follows): \(lastOutput)"
    }

    private func arm() {
        timer?.cancel()
        timer = clock.schedule(after: ttlNanoseconds) { [weak self] in
            guard let self, !self.stopped else { return }
            self.timer = nil
            self.log(.warn, "Check missed TTL, is now critical", [("check", self.checkID)])
            self.report(CheckStatusUpdate(checkID: self.checkID, status: "critical", output: self.expiredOutput))
        }
    }

    /// `<first limit bytes> ... (captured <limit> of <total> bytes)` when longer than the limit.
    static func truncated(_ output: String, limit: Int) -> String {
        let bytes = Array(output.utf8)
        guard bytes.count > limit else { return output }
        return String(decoding: bytes[..<limit], as: UTF8.self) + " ... (captured \(limit) of \(bytes.count) bytes)"
    }
}
