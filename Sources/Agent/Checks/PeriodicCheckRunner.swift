import Platform

/// One raw result of a polled check.
struct CheckResult: Equatable {
    var status: String
    var output: String
    /// Consul reports a script that timed out or failed to start directly, past the thresholds.
    var bypassesThresholds = false

    static func passing(_ output: String) -> CheckResult { CheckResult(status: "passing", output: output) }
    static func warning(_ output: String) -> CheckResult { CheckResult(status: "warning", output: output) }
    static func critical(_ output: String) -> CheckResult { CheckResult(status: "critical", output: output) }
}

/// One kind of polled check (HTTP, TCP, UDP, script, …): performs a single attempt.
protocol CheckProbe: AnyObject {
    /// Runs one attempt; `done` is called exactly once on the loop unless `cancel()` came first.
    func run(_ done: @escaping (CheckResult) -> Void)
    /// Abandons the attempt in flight, releasing what it holds.
    func cancel()
}

/// Runs a probe on Consul's schedule — first after a random stagger in [0, interval), then
/// `interval` after each attempt finishes (attempts never overlap) — and feeds results through
/// the status thresholds to `report`.
final class PeriodicCheckRunner: CheckRunner {
    let checkID: String
    let intervalNanoseconds: UInt64
    private let clock: EventLoopClock
    private let random: RandomSource
    private let probe: CheckProbe
    private var thresholds: CheckStatusHandler
    private let report: (CheckStatusUpdate) -> Void
    private let log: CheckLog
    private var timer: TimerHandle?
    private var running = false
    private var stopped = false
    /// Bumped on stop, so a result that races a stop is dropped.
    private var generation = 0

    init(checkID: String, intervalNanoseconds: UInt64, clock: EventLoopClock, random: RandomSource, probe: CheckProbe,
         thresholds: CheckStatusHandler, log: @escaping CheckLog, report: @escaping (CheckStatusUpdate) -> Void) {
        self.checkID = checkID
        self.intervalNanoseconds = intervalNanoseconds
        self.clock = clock
        self.random = random
        self.probe = probe
        self.thresholds = thresholds
        self.report = report
        self.log = log
    }

    func start() {
        guard !stopped, timer == nil, !running else { return }
        schedule(after: random.next(below: intervalNanoseconds))
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        generation += 1
        timer?.cancel()
        timer = nil
        if running { probe.cancel() }
        running = false
    }

    private func schedule(after delay: UInt64) {
        timer = clock.schedule(after: delay) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.attempt()
        }
    }

    private func attempt() {
        guard !stopped else { return }
        running = true
        let current = generation
        probe.run { [weak self] result in
            guard let self, !self.stopped, current == self.generation, self.running else { return }
            self.running = false
            self.deliver(result)
            if !self.stopped { self.schedule(after: self.intervalNanoseconds) }
        }
    }

    private func deliver(_ result: CheckResult) {
        let id = [("check", checkID)]
        if result.bypassesThresholds {
            log(.warn, "Check is now critical", id)
            report(CheckStatusUpdate(checkID: checkID, status: result.status, output: result.output))
            return
        }
        guard let verdict = thresholds.apply(status: result.status, output: result.output) else {
            if result.status == "critical" {
                log(.warn, "Check failed but has not reached warning/failure threshold",
                    id + [("failure_count", "\(thresholds.failureCount)"), ("failure_threshold", "\(thresholds.failuresBeforeCritical)")])
            } else {
                log(.warn, "Check passed but has not reached success threshold",
                    id + [("success_count", "\(thresholds.successCount)"), ("success_threshold", "\(thresholds.successBeforePassing)")])
            }
            return
        }
        switch verdict.status {
        case "critical": log(.warn, "Check is now critical", id)
        case "warning": log(.warn, "Check is now warning", id)
        default: log(.debug, "Check status updated", id + [("status", verdict.status)])
        }
        report(CheckStatusUpdate(checkID: checkID, status: verdict.status, output: verdict.output))
    }
}
