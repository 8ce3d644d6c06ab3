import Platform
import Wire

/// The simulated universe: one clock, one event queue, one seeded RNG. Everything that happens
/// in a run is an event here, so a seed replays exactly.
public final class SimWorld {
    public private(set) var now: UInt64 = 0
    public var random: SimRandom
    private var queue = EventQueue()
    private var sequence: UInt64 = 0

    public init(seed: UInt64) { random = SimRandom(seed: seed) }

    /// Runs `action` at `time` (ties run in scheduling order).
    public func schedule(at time: UInt64, _ action: @escaping () -> Void) {
        sequence += 1
        queue.push(SimEvent(time: max(time, now), sequence: sequence, action: action))
    }

    public func schedule(after delay: UInt64, _ action: @escaping () -> Void) { schedule(at: now + delay, action) }

    /// Runs events up to `time`; returns the number run.
    @discardableResult
    public func run(until time: UInt64) -> Int {
        var count = 0
        while let next = queue.peek(), next.time <= time {
            let event = queue.pop()!
            now = event.time
            event.action()
            count += 1
        }
        now = max(now, time)
        return count
    }

    public var pendingEvents: Int { queue.count }
}

struct SimEvent {
    let time: UInt64
    let sequence: UInt64
    let action: () -> Void
    func before(_ other: SimEvent) -> Bool { (time, sequence) < (other.time, other.sequence) }
}

/// A binary min-heap of events.
struct EventQueue {
    private var heap: [SimEvent] = []
    var count: Int { heap.count }
    func peek() -> SimEvent? { heap.first }

    mutating func push(_ e: SimEvent) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> SimEvent? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count && heap[l].before(heap[smallest]) { smallest = l }
            if r < heap.count && heap[r].before(heap[smallest]) { smallest = r }
            if smallest == i { break }
            heap.swapAt(i, smallest)
            i = smallest
        }
        return top
    }
}

/// splitmix64: small, fast, good enough for fault injection, fully determined by the seed.
public struct SimRandom {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func below(_ n: UInt64) -> UInt64 { n == 0 ? 0 : next() % n }
    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    public mutating func range(_ lo: UInt64, _ hi: UInt64) -> UInt64 { lo + below(hi - lo + 1) }
}

/// A node's view of the simulated clock. Timers belong to one incarnation of the node: a crash
/// makes every timer it set vanish, as a process death would.
public final class SimClock: EventLoopClock {
    private let world: SimWorld
    var incarnation: Int = 0
    /// Clock drift: timers set for n ns fire after n / rate real ns (rate 1.25 = a fast clock).
    public var rate = 1.0
    /// A stalled process (SIGSTOP, VM pause, GC): nothing it scheduled runs before this time.
    public var stalledUntil: UInt64 = 0
    private let isAlive: (Int) -> Bool

    init(world: SimWorld, isAlive: @escaping (Int) -> Bool) {
        self.world = world
        self.isAlive = isAlive
    }

    public var now: Instant { Instant(nanoseconds: world.now) }
    public var wallClockNanoseconds: Int64 { 1_764_000_000_000_000_000 + Int64(world.now) }

    @discardableResult
    public func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        let timer = SimTimer()
        let born = incarnation
        let scaled = UInt64(Double(nanoseconds) / rate)
        func fire() {
            guard !timer.cancelled, isAlive(born) else { return }
            if world.now < stalledUntil {
                world.schedule(at: stalledUntil) { fire() }
                return
            }
            timer.cancelled = true
            callback()
        }
        world.schedule(after: scaled) { fire() }
        return timer
    }
}

final class SimTimer: TimerHandle {
    var cancelled = false
    func cancel() { cancelled = true }
}
