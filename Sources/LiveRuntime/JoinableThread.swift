import Glibc

/// A joinable POSIX thread running one closure.
public struct JoinableThread {
    private let id: pthread_t

    /// Nil when the system has no thread to give; callers then do the work themselves.
    public static func start(_ body: @escaping () -> Void) -> JoinableThread? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var id = pthread_t()
        guard pthread_create(&id, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context) == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return JoinableThread(id: id)
    }

    public func join() { pthread_join(id, nil) }

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
}
