@testable import Agent
import ConsulAPI
import Platform
import Testing

/// DeregisterCriticalServiceAfter: a service goes once its check stayed critical long enough.
@Suite struct CriticalServiceReaperTests {
    private func check(_ id: String, service: String, after: String, status: String) -> HealthCheck {
        var c = HealthCheck()
        c.checkID = id
        c.serviceID = service
        c.status = status
        c.definition = ["DeregisterCriticalServiceAfter": after]
        return c
    }

    /// Proves a critical check removes its service only after the (≥ 1 minute) limit, and a
    /// check that recovered in between resets the clock.
    @Test func reapsAfterTheLimitOnly() {
        let clock = FakeClock()
        let local = LocalState()
        local.now = { clock.now.nanoseconds }
        var removed: [String] = []
        let logger = Logger(name: "test", level: .error, sink: NullSink(), clock: clock)
        let reaper = CriticalServiceReaper(local: local, clock: clock, logger: logger) { id in
            removed.append(id)
            local.removeService(id)
        }
        var web = NodeService(); web.id = "web"; web.service = "web"
        var api = NodeService(); api.id = "api"; api.service = "api"
        local.addService(web)
        local.addService(api)
        // 10s is below the 1 minute minimum; it still waits a minute.
        local.addCheck(check("c-web", service: "web", after: "10s", status: "critical"), definition: nil, runner: nil)
        local.addCheck(check("c-api", service: "api", after: "90s", status: "critical"), definition: nil, runner: nil)
        clock.advance(by: 30_000_000_000)
        reaper.reap()
        #expect(removed.isEmpty)
        clock.advance(by: 31_000_000_000)
        reaper.reap()
        #expect(removed == ["web"])
        // api recovers, then fails again: its clock restarts.
        local.updateStatus("c-api", status: "passing", output: "")
        local.updateStatus("c-api", status: "critical", output: "")
        clock.advance(by: 60_000_000_000)
        reaper.reap()
        #expect(removed == ["web"])
        clock.advance(by: 31_000_000_000)
        reaper.reap()
        #expect(removed == ["web", "api"])
    }
}

final class NullSink: LogSink {
    func write(line: String) {}
}
