import CLibUV
import Glibc

/// Delivers a POSIX signal as a callback on the loop (SIGINT/SIGTERM stop, SIGHUP reload).
public final class SignalWatcher {
    private let handle: UnsafeMutablePointer<uv_signal_t>
    private let callback: () -> Void
    private var closed = false

    public init(loop: EventLoop, signal: Int32, callback: @escaping () -> Void) throws {
        self.callback = callback
        // A parent may have started us with the signal blocked (some process launchers do);
        // a blocked signal would stay pending forever and the agent could not be stopped.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        handle = .allocate(capacity: 1)
        uv_signal_init(loop.loop, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_signal_start(handle, { h, _ in
            Unmanaged<SignalWatcher>.fromOpaque(h!.pointee.data).takeUnretainedValue().callback()
        }, signal)
        if status < 0 {
            close()
            throw UVError(status, "uv_signal_start(\(signal))")
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        uv_signal_stop(handle)
        uv_close(cuv_handle(handle)) { h in
            Unmanaged<SignalWatcher>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}
