import CLibUV
import Glibc

/// The one door from other threads into the loop: `post` queues a closure under a lock and
/// wakes the loop (`uv_async_send` coalesces), which runs every queued closure on its thread.
public final class LoopWakeup: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<uv_async_t>
    private var mutex = pthread_mutex_t()
    private var queue: [() -> Void] = []
    private var closed = false

    public init(loop: EventLoop) {
        pthread_mutex_init(&mutex, nil)
        handle = .allocate(capacity: 1)
        uv_async_init(loop.loop, handle) { h in
            Unmanaged<LoopWakeup>.fromOpaque(h!.pointee.data).takeUnretainedValue().drain()
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Callable from any thread.
    public func post(_ work: @escaping () -> Void) {
        pthread_mutex_lock(&mutex)
        queue.append(work)
        pthread_mutex_unlock(&mutex)
        uv_async_send(handle)
    }

    private func drain() {
        pthread_mutex_lock(&mutex)
        let work = queue
        queue.removeAll()
        pthread_mutex_unlock(&mutex)
        for item in work { item() }
    }

    /// Loop thread only. The handle stays valid until libuv's close callback.
    public func close() {
        guard !closed else { return }
        closed = true
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<LoopWakeup>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}
