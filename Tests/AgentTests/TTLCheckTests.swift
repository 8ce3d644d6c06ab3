import Agent
import Testing

/// TTL checks on a fake clock: heartbeats report and re-arm; silence past the TTL is critical.
@Suite struct TTLCheckTests {
    private func ttlRunner(_ world: FakeWorld, _ json: String) throws -> TTLCheckRunner {
        try #require(try world.start(json) as? TTLCheckRunner)
    }

    /// Without a heartbeat the check expires to critical `TTL expired`, once.
    @Test func expiresWithoutHeartbeat() throws {
        let world = FakeWorld()
        let runner = try ttlRunner(world, #"{"TTL":"10s"}"#)
        world.clock.advance(by: 9_999_999_999)
        #expect(world.reports.isEmpty)
        world.clock.advance(by: 1)
        #expect(world.reports == [.init(checkID: "check", status: "critical", output: "TTL expired")])
        world.clock.advance(by: 60_000_000_000)
        #expect(world.reports.count == 1)
        runner.stop()
    }

    /// Each heartbeat reports its status and restarts the TTL; expiry keeps the last output.
    @Test func heartbeatsResetTheTimer() throws {
        let world = FakeWorld()
        let runner = try ttlRunner(world, #"{"TTL":"10s"}"#)
        world.clock.advance(by: 8_000_000_000)
        runner.pass(note: "ok")
        world.clock.advance(by: 8_000_000_000)
        runner.warn(note: "slow")
        world.clock.advance(by: 9_000_000_000)
        #expect(world.statuses == ["passing", "warning"])
        world.clock.advance(by: 1_000_000_000)
        #expect(world.reports.last == .init(checkID: "check", status: "critical",
                                            output: "TTL expired (last output before timeout follows): slow"))
        runner.update(status: "passing", output: "")
        #expect(world.statuses.last == "passing")
        world.clock.advance(by: 10_000_000_000)
        #expect(world.reports.last?.output == "TTL expired")
        runner.stop()
    }

    /// Output beyond OutputMaxSize is cut with Consul's note, and that is what expiry repeats.
    @Test func outputTruncation() throws {
        let world = FakeWorld()
        let runner = try ttlRunner(world, #"{"TTL":"10s","OutputMaxSize":5}"#)
        #expect(runner.fail(note: "0123456789") == "01234 ... (captured 5 of 10 bytes)")
        #expect(world.reports.last?.output == "01234 ... (captured 5 of 10 bytes)")
        runner.stop()
        world.clock.advance(by: 20_000_000_000)
        #expect(world.reports.count == 1)
    }
}
