import CLibUV
import Glibc
import Platform

/// The single libuv loop every socket, timer and state change runs on. Objects created through
/// it are confined to its thread; other threads reach it only through `LoopWakeup`.
public final class EventLoop: EventLoopClock {
    let loop: UnsafeMutablePointer<uv_loop_t>
    private let thread = pthread_self()

    /// Reused by every read callback on this loop (reads are consumed before the callback returns).
    static let readBufferSize = 64 * 1024
    let readBuffer: UnsafeMutablePointer<CChar> = .allocate(capacity: EventLoop.readBufferSize)

    public init() throws {
        loop = .allocate(capacity: 1)
        try UVError.check(uv_loop_init(loop), "uv_loop_init")
        loop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// The EventLoop that owns a raw libuv loop (callbacks only get the raw pointer).
    static func owner(of loop: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    deinit {
        // Close whatever is still open (listeners, timers) so uv_loop_close can succeed.
        uv_walk(loop, { handle, _ in
            if uv_is_closing(handle) == 0 { uv_close(handle, nil) }
        }, nil)
        uv_run(loop, UV_RUN_DEFAULT)
        uv_loop_close(loop)
        loop.deallocate()
        readBuffer.deallocate()
    }

    /// Runs until `stop()` or until nothing is left to wait for.
    public func run() {
        uv_run(loop, UV_RUN_DEFAULT)
    }

    /// Runs one iteration without blocking (tests).
    public func runOnce() {
        uv_run(loop, UV_RUN_NOWAIT)
    }

    public func stop() { uv_stop(loop) }

    /// Shell objects call this before touching loop state; a wrong-thread call is a bug, not an input.
    @inline(__always) func assertOnLoop() {
        // On in release builds too: one compare, and a cross-thread use is a data race to catch.
        precondition(pthread_equal(thread, pthread_self()) != 0, "libuv object used off its loop thread")
    }

    // MARK: EventLoopClock

    public var now: Instant { Instant(nanoseconds: uv_hrtime()) }

    public var wallClockNanoseconds: Int64 { WallClock.nanoseconds }

    @discardableResult
    public func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        assertOnLoop()
        return LoopTimer(loop: self, afterNanoseconds: nanoseconds, callback: callback)
    }
}

/// A one-shot libuv timer. The handle's memory lives until libuv's close callback.
final class LoopTimer: TimerHandle {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closed = false

    init(loop: EventLoop, afterNanoseconds: UInt64, callback: @escaping () -> Void) {
        self.callback = callback
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.loop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        // libuv counts in milliseconds; round up so a timer never fires early.
        let ms = (afterNanoseconds + 999_999) / 1_000_000
        uv_timer_start(handle, { h in
            let timer = Unmanaged<LoopTimer>.fromOpaque(h!.pointee.data).takeUnretainedValue()
            let callback = timer.callback
            timer.callback = nil
            timer.closeHandle()
            callback?()
        }, ms, 0)
    }

    func cancel() {
        guard callback != nil else { return }
        callback = nil
        uv_timer_stop(handle)
        closeHandle()
    }

    private func closeHandle() {
        guard !closed else { return }
        closed = true
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<LoopTimer>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}

/// A repeating libuv timer (periodic duties); stops on `cancel()`.
public final class RepeatingTimer: TimerHandle {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?

    public init(loop: EventLoop, everyNanoseconds: UInt64, callback: @escaping () -> Void) {
        self.callback = callback
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.loop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let ms = max(1, (everyNanoseconds + 999_999) / 1_000_000)
        uv_timer_start(handle, { h in
            Unmanaged<RepeatingTimer>.fromOpaque(h!.pointee.data).takeUnretainedValue().callback?()
        }, ms, ms)
    }

    public func cancel() {
        guard callback != nil else { return }
        callback = nil
        uv_timer_stop(handle)
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<RepeatingTimer>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}
