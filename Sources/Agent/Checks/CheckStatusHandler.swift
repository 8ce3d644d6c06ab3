/// Consul's `StatusHandler`: consecutive-result thresholds between a polled check's raw results
/// and its reported status. Counters start "satisfied", so the first result is reported at once.
/// Every polled runner goes through this one type.
public struct CheckStatusHandler: Equatable, Sendable {
    public let successBeforePassing: Int
    public let failuresBeforeWarning: Int
    public let failuresBeforeCritical: Int
    public private(set) var successCount: Int
    public private(set) var failureCount: Int

    /// `failuresBeforeWarning` 0 means "same as failuresBeforeCritical", as the agent defaults it.
    public init(successBeforePassing: Int, failuresBeforeWarning: Int, failuresBeforeCritical: Int) {
        self.successBeforePassing = successBeforePassing
        self.failuresBeforeWarning = failuresBeforeWarning == 0 ? failuresBeforeCritical : failuresBeforeWarning
        self.failuresBeforeCritical = failuresBeforeCritical
        successCount = successBeforePassing
        failureCount = failuresBeforeCritical
    }

    public init(_ type: CheckType) {
        self.init(successBeforePassing: type.successBeforePassing, failuresBeforeWarning: type.failuresBeforeWarning,
                  failuresBeforeCritical: type.failuresBeforeCritical)
    }

    /// What to report for a raw result, or nil to keep the current status (threshold not reached).
    /// Passing and warning count as successes; a failure below the critical threshold but at the
    /// warning threshold is reported as warning.
    public mutating func apply(status: String, output: String) -> (status: String, output: String)? {
        if status == "passing" || status == "warning" {
            successCount += 1
            failureCount = 0
            return successCount >= successBeforePassing ? (status, output) : nil
        }
        failureCount += 1
        successCount = 0
        if failureCount >= failuresBeforeCritical { return (status, output) }
        if failureCount >= failuresBeforeWarning { return ("warning", output) }
        return nil
    }
}
