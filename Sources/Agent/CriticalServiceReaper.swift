import ConsulAPI
import Platform

/// Deregisters services whose check has been critical longer than its
/// `DeregisterCriticalServiceAfter` (at least one minute), checking every 30 seconds as Consul does.
final class CriticalServiceReaper {
    static let periodNanoseconds: UInt64 = 30_000_000_000
    static let minimumNanoseconds: UInt64 = 60_000_000_000
    private let local: LocalState
    private let clock: EventLoopClock
    private let logger: Logger
    private let deregister: (String) -> Void
    private var timer: TimerHandle?

    init(local: LocalState, clock: EventLoopClock, logger: Logger, deregister: @escaping (String) -> Void) {
        self.local = local
        self.clock = clock
        self.logger = logger
        self.deregister = deregister
    }

    func start() {
        timer = clock.schedule(after: CriticalServiceReaper.periodNanoseconds) { [weak self] in
            self?.reap()
            self?.start()
        }
    }

    func stop() { timer?.cancel() }

    func reap() {
        let now = clock.now.nanoseconds
        for (id, since) in local.criticalSince {
            guard let check = local.checks[id], !check.serviceID.isEmpty,
                  let text = check.definition["DeregisterCriticalServiceAfter"], let limit = GoDuration.parse(text), limit > 0 else { continue }
            let after = max(UInt64(limit), CriticalServiceReaper.minimumNanoseconds)
            if now >= since + after {
                logger.info("removed service with critical check past DeregisterCriticalServiceAfter",
                            [("service", check.serviceID), ("check", id)])
                deregister(check.serviceID)
            }
        }
    }
}
