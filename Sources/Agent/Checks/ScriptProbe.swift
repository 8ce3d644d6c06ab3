import ConsulAPI
import Platform

/// Script check: runs `args` in its own process group; exit 0 is passing, 1 warning, anything
/// else (or a signal) critical, with the combined output as the check's output. On timeout the
/// group is killed and the check is critical `Timed out (<d>) running check`; a timeout or a
/// failure to start is reported past the thresholds, as Consul's monitor does.
final class ScriptProbe: CheckProbe {
    private let arguments: [String]
    private let timeoutNanoseconds: UInt64
    private let outputMaxSize: Int
    private let processes: ProcessRunner
    private let clock: EventLoopClock
    private var running: RunningProcess?
    private var generation = 0

    init(arguments: [String], timeoutNanoseconds: UInt64, outputMaxSize: Int, environment: CheckEnvironment) {
        self.arguments = arguments
        self.timeoutNanoseconds = timeoutNanoseconds
        self.outputMaxSize = outputMaxSize
        processes = environment.processes
        clock = environment.clock
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        generation += 1
        let current = generation
        let request = ProcessRequest(arguments: arguments, environment: nil, outputLimitBytes: outputMaxSize,
                                     timeoutNanoseconds: timeoutNanoseconds)
        do {
            running = try processes.run(request) { [weak self] outcome in
                guard let self, current == self.generation else { return }
                self.running = nil
                done(self.result(for: outcome))
            }
        } catch {
            var failure = CheckResult.critical(error.description)
            failure.bypassesThresholds = true
            clock.schedule(after: 0) { done(failure) }
        }
    }

    func cancel() {
        generation += 1
        running?.kill()
        running = nil
    }

    func result(for outcome: ProcessOutcome) -> CheckResult {
        let output = ScriptProbe.formatOutput(outcome, limit: outputMaxSize)
        switch outcome.termination {
        case .timedOut:
            var message = "Timed out (\(GoDuration.format(Int64(timeoutNanoseconds)))) running check"
            if !output.isEmpty { message += "\n\n" + output }
            var result = CheckResult.critical(message)
            result.bypassesThresholds = true
            return result
        case .exited(code: 0):
            return .passing(output)
        case .exited(code: 1):
            return .warning(output)
        case .exited, .signaled:
            return .critical(output)
        }
    }

    /// The captured tail, announced as Consul's circular buffer announces a truncation.
    static func formatOutput(_ outcome: ProcessOutcome, limit: Int) -> String {
        let text = String(decoding: outcome.output, as: UTF8.self)
        guard outcome.totalOutputBytes > outcome.output.count else { return text }
        return "Captured \(limit) of \(outcome.totalOutputBytes) bytes\n...\n" + text
    }
}
