import Agent
import Testing

/// The success/failure thresholds, as Consul's StatusHandler applies them.
@Suite struct CheckStatusHandlerTests {
    private func run(_ handler: CheckStatusHandler, _ results: [String]) -> [String?] {
        var h = handler
        return results.map { h.apply(status: $0, output: "")?.status }
    }

    /// With no thresholds every result is reported as it is.
    @Test func noThresholds() {
        let h = CheckStatusHandler(successBeforePassing: 0, failuresBeforeWarning: 0, failuresBeforeCritical: 0)
        #expect(run(h, ["critical", "passing", "warning", "critical"]) == ["critical", "passing", "warning", "critical"])
    }

    /// Counters start satisfied: the first result is reported at once, later flips wait for the threshold.
    @Test func successBeforePassing() {
        let h = CheckStatusHandler(successBeforePassing: 2, failuresBeforeWarning: 0, failuresBeforeCritical: 0)
        #expect(run(h, ["passing", "critical", "passing", "passing", "passing"]) == ["passing", "critical", nil, "passing", "passing"])
    }

    /// Failures below the critical threshold are held; the warning threshold reports warning first.
    @Test func failuresBeforeWarningThenCritical() {
        let h = CheckStatusHandler(successBeforePassing: 0, failuresBeforeWarning: 1, failuresBeforeCritical: 3)
        #expect(run(h, ["passing", "critical", "critical", "critical", "passing", "critical"])
            == ["passing", "warning", "warning", "critical", "passing", "warning"])
    }

    /// FailuresBeforeWarning 0 means "same as critical": no warning step.
    @Test func warningDefaultsToCritical() {
        let h = CheckStatusHandler(successBeforePassing: 0, failuresBeforeWarning: 0, failuresBeforeCritical: 2)
        #expect(h.failuresBeforeWarning == 2)
        #expect(run(h, ["passing", "critical", "critical"]) == ["passing", nil, "critical"])
    }

    /// A warning result counts as a success (resets failures) and is reported as warning.
    @Test func warningCountsAsSuccess() {
        let h = CheckStatusHandler(successBeforePassing: 0, failuresBeforeWarning: 0, failuresBeforeCritical: 2)
        #expect(run(h, ["passing", "critical", "warning", "critical"]) == ["passing", nil, "warning", nil])
    }
}
