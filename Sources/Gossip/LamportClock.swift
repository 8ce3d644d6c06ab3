import Platform

/// serf's Lamport clocks: `time` stamps what we send (then `increment`); `witness` moves past
/// anything seen, so causally later messages always carry larger times.
struct LamportClock {
    private(set) var time: UInt64 = 0

    init(time: UInt64 = 0) { self.time = time }

    @discardableResult
    mutating func increment() -> UInt64 {
        time &+= 1
        return time
    }

    mutating func witness(_ seen: UInt64) {
        if seen >= time { time = seen &+ 1 }
    }
}

extension Instant {
    /// Elapsed time since `earlier`, 0 if the clock handed us something out of order.
    func nanos(since earlier: Instant) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }
}
