/// Monotonic time in nanoseconds since an arbitrary origin; only differences mean anything.
public struct Instant: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    public func adding(nanoseconds delta: UInt64) -> Instant { Instant(nanoseconds: nanoseconds + delta) }
}

/// A timer that can be stopped before it fires; firing twice never happens.
public protocol TimerHandle: AnyObject {
    func cancel()
}

/// Time and timers as the loop-confined logic sees them. LiveRuntime implements it over libuv;
/// tests and the simulation implement it with a clock that moves only when told.
public protocol EventLoopClock: AnyObject {
    var now: Instant { get }
    /// Wall-clock time as Unix nanoseconds (log lines, Date headers); never used for ordering.
    var wallClockNanoseconds: Int64 { get }
    /// Runs `callback` on the loop after `nanoseconds` (0 = next turn).
    @discardableResult
    func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle
}

/// Randomness as an argument, so a seed can replay it.
public protocol RandomSource: AnyObject {
    func nextUInt64() -> UInt64
}

extension RandomSource {
    /// Uniform in `0..<upperBound` (0 when the bound is 0).
    public func next(below upperBound: UInt64) -> UInt64 {
        upperBound == 0 ? 0 : nextUInt64() % upperBound
    }
}
