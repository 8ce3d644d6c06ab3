import ConsulAPI
import HTTP1
import HTTPAPI
import Testing

/// Records fired events locally, as an agent without peers would.
private final class FakeEvents: UserEventAgent {
    var events: [UserEvent] = []
    var fired: [UserEvent] = []
    private var watchers: [UInt64: () -> Void] = [:]
    private var next: UInt64 = 0
    var watcherCount: Int { watchers.count }

    func fireUserEvent(_ event: UserEvent) -> Result<UserEvent, HTTPResponseError> {
        if let reason = event.validationError() { return .failure(HTTPResponseError(500, reason)) }
        var e = event
        e.id = String(format16(UInt64(fired.count + 1)))
        fired.append(e)
        return .success(e)
    }
    func record(_ e: UserEvent) {
        events.append(e)
        let woken = watchers
        watchers = [:]
        for (_, w) in woken { w() }
    }
    func userEvents() -> [UserEvent] { events }
    func watchUserEvents(_ wake: @escaping () -> Void) -> UInt64 { next += 1; watchers[next] = wake; return next }
    func cancelUserEventWatch(_ token: UInt64) { watchers[token] = nil }
}

private func format16(_ n: UInt64) -> String {
    let hex = String(n, radix: 16)
    return "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - hex.count) + hex
}

@Suite("EventEndpoint")
struct EventEndpointTests {
    private func harness() -> (APIHarness, FakeEvents) {
        let h = APIHarness()
        let events = FakeEvents()
        h.api.registerEventRoutes(events)
        return (h, events)
    }

    /// Proves fire passes name, filters and body to the agent and answers with the event's JSON.
    @Test func fire() throws {
        let (h, events) = harness()
        let answer = h.send("PUT", "/v1/event/fire/deploy?node=n1&service=web&tag=v1", body: "payload")
        #expect(answer.status == 200)
        let json = try JSONParser.parse(answer.response!.body)
        #expect(json["Name"]?.stringValue == "deploy")
        #expect(json["Payload"]?.stringValue == "cGF5bG9hZA==")
        #expect(json["ID"]?.stringValue == format16(1))
        #expect(events.fired.first?.tagFilter == "v1" && events.fired.first?.serviceFilter == "web" && events.fired.first?.nodeFilter == "n1")
        #expect(h.send("PUT", "/v1/event/fire/empty").text?.contains(#""Payload":null"#) == true)
    }

    /// Proves the reference's error answers: 400 Missing name, 500 for filter errors, 405 for GET.
    @Test func fireErrors() {
        let (h, _) = harness()
        let missing = h.send("PUT", "/v1/event/fire/")
        #expect(missing.status == 400 && missing.text == "Missing name")
        let tag = h.send("PUT", "/v1/event/fire/x?tag=a")
        #expect(tag.status == 500 && tag.text == "Cannot provide tag filter without service filter")
        let regex = h.send("PUT", "/v1/event/fire/x?node=((")
        #expect(regex.status == 500 && regex.text?.hasPrefix("Invalid node filter: ") == true)
        #expect(h.send("GET", "/v1/event/fire/x").status == 405)
        #expect(h.send("GET", "/v1/event/list?index=abc").status == 400)
    }

    /// Proves list order, name filter and the X-Consul-Index of the newest (filtered) event, 1 when empty.
    @Test func list() throws {
        let (h, events) = harness()
        let empty = h.send("GET", "/v1/event/list")
        #expect(empty.text == "[]" && empty.index == 1)
        events.record(UserEvent(id: format16(3), name: "a", ltime: 1))
        events.record(UserEvent(id: format16(4), name: "b", ltime: 2))
        let all = h.send("GET", "/v1/event/list")
        #expect(try JSONParser.parse(all.response!.body).arrayValue?.map { $0["Name"]?.stringValue } == ["a", "b"])
        #expect(all.index == 4)
        #expect(h.send("GET", "/v1/event/list?name=a").index == 3)
        #expect(h.send("GET", "/v1/event/list?name=zzz").index == 1)
    }

    /// Proves a list blocked on the current index wakes on a new event, ignores events that leave the
    /// index unchanged, and otherwise answers when the wait ends, freeing its watch.
    @Test func blocking() throws {
        let (h, events) = harness()
        events.record(UserEvent(id: format16(3), name: "a"))
        let blocked = h.send("GET", "/v1/event/list?name=a&index=3&wait=10s")
        #expect(!blocked.answered)
        events.record(UserEvent(id: format16(9), name: "other"))
        #expect(!blocked.answered)
        events.record(UserEvent(id: format16(5), name: "a"))
        #expect(blocked.answered && blocked.index == 5)
        #expect(events.watcherCount == 0)

        let timed = h.send("GET", "/v1/event/list?index=5&wait=2s")
        #expect(!timed.answered)
        h.clock.advance(by: 2_000_000_000)
        #expect(timed.answered && timed.index == 5 && events.watcherCount == 0)
        #expect(h.send("GET", "/v1/event/list?index=77").answered)
    }
}
