import ConsulAPI

/// The user events this agent received (Consul keeps the last 256), oldest first, and the
/// one-shot watchers that blocking `/v1/event/list` requests park on. Loop-confined.
final class UserEventLog {
    static let eventsMax = 256

    private(set) var events: [UserEvent] = []
    private var watchers: [UInt64: () -> Void] = [:]
    private var nextToken: UInt64 = 1

    func record(_ event: UserEvent) {
        events.append(event)
        if events.count > Self.eventsMax { events.removeFirst(events.count - Self.eventsMax) }
        let woken = watchers
        watchers = [:]
        for (_, wake) in woken.sorted(by: { $0.key < $1.key }) { wake() }
    }

    /// Runs `wake` once after the next recorded event; returns a token to cancel it.
    func watch(_ wake: @escaping () -> Void) -> UInt64 {
        let token = nextToken
        nextToken += 1
        watchers[token] = wake
        return token
    }

    func cancel(_ token: UInt64) { watchers[token] = nil }

    var watcherCount: Int { watchers.count }
}
