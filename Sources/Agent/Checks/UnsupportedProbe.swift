import Platform

/// A kind this build cannot run (H2PING, Docker, OS service): every attempt is critical
/// with a message that says so, so the check never looks healthy by accident.
final class UnsupportedProbe: CheckProbe {
    private let message: String
    private let clock: EventLoopClock

    init(message: String, clock: EventLoopClock) {
        self.message = message
        self.clock = clock
    }

    func run(_ done: @escaping (CheckResult) -> Void) {
        let message = self.message
        clock.schedule(after: 0) { done(.critical(message)) }
    }

    func cancel() {}
}
