import CLibUV

extension EventLoop {
    /// Runs `work` on libuv's thread pool and then `done` with its result on the loop. `work`
    /// must touch nothing the loop uses (it gets its inputs captured by value). If libuv cannot
    /// queue it, `work` runs on the loop instead: slower, never lost.
    public func runOnPool<T>(_ work: @escaping () -> T, then done: @escaping (T) -> Void) {
        assertOnLoop()
        let box = ResultBox<T>()
        let job = PoolJob(run: { box.value = work() }, finish: { done(box.value!) })
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        let status = uv_queue_work(loop, request, { request in
            Unmanaged<PoolJob>.fromOpaque(request!.pointee.data).takeUnretainedValue().run()
        }, { request, _ in
            let job = Unmanaged<PoolJob>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.finish()
        })
        if status != 0 {
            Unmanaged<PoolJob>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            job.run()
            job.finish()
        }
    }
}

/// Where a pool thread leaves its result for the loop (libuv orders the two callbacks).
private final class ResultBox<T> {
    var value: T?
}

/// One job: `run` on a pool thread, `finish` on the loop after it.
private final class PoolJob {
    let run: () -> Void
    let finish: () -> Void
    init(run: @escaping () -> Void, finish: @escaping () -> Void) {
        self.run = run
        self.finish = finish
    }
}
