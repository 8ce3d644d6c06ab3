import ConsulAPI
import HTTPAPI
import Platform

/// Sends this agent's LAN coordinate to the servers, which keep it in the replicated
/// coordinates table (Consul's `sendCoordinate`): first a few seconds after start, once gossip
/// has measured something, twice more 5 s apart, then every 15 s plus a random stagger.
final class CoordinateSync {
    private let backend: ConsulBackend
    private let clock: EventLoopClock
    private let random: RandomSource
    private let logger: Logger
    private let coordinate: () -> NodeCoordinate?
    private var timer: TimerHandle?
    static let intervalNanoseconds: UInt64 = 15_000_000_000

    init(backend: ConsulBackend, clock: EventLoopClock, random: RandomSource, logger: Logger,
         coordinate: @escaping () -> NodeCoordinate?) {
        self.backend = backend
        self.clock = clock
        self.random = random
        self.logger = logger
        self.coordinate = coordinate
    }

    func start() { schedule(after: 2_000_000_000 + random.next(below: 2_000_000_000)) }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    /// The first sends come quickly (an update for a node the catalog does not hold yet is
    /// dropped, so a second try follows once anti-entropy has registered us), then every 15 s.
    private func schedule(after nanos: UInt64, sent: Int = 0) {
        timer = clock.schedule(after: nanos) { [weak self] in
            guard let self else { return }
            self.send()
            let next = sent < 2 ? 5_000_000_000 : CoordinateSync.intervalNanoseconds
            self.schedule(after: next + self.random.next(below: next / 4), sent: sent + 1)
        }
    }

    private func send() {
        guard let mine = coordinate(), mine.validationError == nil else { return }
        backend.apply(.coordinateBatchUpdate([mine])) { [logger] result in
            if case .failure(let error) = result { logger.debug("coordinate update failed; will retry", [("error", error.message)]) }
        }
    }
}
