import Glibc

/// What a child we spawn starts with: the default action for the signals we ignore or catch
/// (SIGPIPE, SIGINT, SIGTERM, SIGHUP) and an empty signal mask, whatever ours are.
public enum SpawnSignals {
    /// Sets both on `attributes`; returns the `POSIX_SPAWN_*` flags to include in
    /// `posix_spawnattr_setflags`.
    public static func reset(_ attributes: inout posix_spawnattr_t) -> Int32 {
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        return Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
    }
}
