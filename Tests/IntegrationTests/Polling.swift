import Foundation
import Glibc

/// Calls `probe` every `every` µs until `done` holds or `seconds` pass; returns the last value
/// (bounded polling of a positive condition — the live tests' one way to wait).
func pollValue<T>(_ seconds: Double, every micros: useconds_t = 200_000, _ probe: () -> T, until done: (T) -> Bool) -> T {
    let deadline = Date().addingTimeInterval(seconds)
    var last = probe()
    while !done(last) && Date() < deadline {
        usleep(micros)
        last = probe()
    }
    return last
}
