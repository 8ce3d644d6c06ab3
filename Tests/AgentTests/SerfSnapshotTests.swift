@testable import Agent
import Testing

/// The serf snapshot journal: later lines win, `not-alive` forgets, `leave` marks a graceful
/// exit until a later `alive`, and what we write reads back the same.
@Suite struct SerfSnapshotTests {
    @Test func replaysJournal() {
        let text = """
        # comment
        alive: a 10.0.0.1:8301
        alive: b 10.0.0.2:8301
        clock: 7
        not-alive: a
        alive: b 10.0.0.9:8301
        event-clock: 3
        query-clock: 2
        garbage line
        alive: broken
        """
        let s = Agent.SerfSnapshot.parse(text)
        #expect(s.alive.map(\.name) == ["b"])
        #expect(s.alive.first?.address == "10.0.0.9:8301")
        #expect(s.clock == 7 && s.eventClock == 3 && s.queryClock == 2)
        #expect(!s.left)
    }

    @Test func leaveIsRemembered() {
        #expect(Agent.SerfSnapshot.parse("alive: a 1.2.3.4:1\nleave\n").left)
        #expect(!Agent.SerfSnapshot.parse("leave\nalive: a 1.2.3.4:1\n").left)
    }

    @Test func roundTrips() {
        var s = Agent.SerfSnapshot()
        s.alive = [("n1", "127.0.0.1:8301"), ("n2", "[::1]:8301")]
        s.clock = 12; s.eventClock = 4; s.queryClock = 9; s.left = true
        #expect(Agent.SerfSnapshot.parse(s.text) == s)
    }
}
