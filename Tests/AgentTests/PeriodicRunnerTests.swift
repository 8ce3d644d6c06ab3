import Agent
import Testing

/// Scheduling and thresholds of polled checks, on a fake clock with a fake network (TCP as the probe).
@Suite struct PeriodicRunnerTests {
    /// The first attempt waits a random stagger within the interval, then one every interval
    /// after the previous attempt finished.
    @Test func staggerThenInterval() throws {
        let world = FakeWorld(random: [3_000_000_000])
        let runner = try world.start(#"{"TCP":"127.0.0.1:80","Interval":"10s"}"#)
        world.clock.advance(by: 2_999_999_999)
        #expect(world.network.attempts.isEmpty)
        world.clock.advance(by: 1)
        #expect(world.network.attempts.count == 1)
        #expect(world.statuses == ["passing"])
        #expect(world.lastOutput == "TCP connect 127.0.0.1:80: Success")
        world.clock.advance(by: 9_999_999_999)
        #expect(world.network.attempts.count == 1)
        world.clock.advance(by: 1)
        #expect(world.network.attempts.count == 2)
        runner.stop()
        world.clock.advance(by: 60_000_000_000)
        #expect(world.network.attempts.count == 2)
        #expect(world.clock.pendingTimers == 0)
    }

    /// Intervals below one second are raised to one second, with a warning logged.
    @Test func minimumInterval() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"TCP":"127.0.0.1:80","Interval":"100ms"}"#)
        world.clock.turn()
        #expect(world.network.attempts.count == 1)
        world.clock.advance(by: 999_999_999)
        #expect(world.network.attempts.count == 1)
        world.clock.advance(by: 1)
        #expect(world.network.attempts.count == 2)
        #expect(world.logged.first == "check has interval below minimum")
        runner.stop()
    }

    /// A refused connection is critical with Go's dial error; thresholds hold flips back until reached.
    @Test func thresholdsThroughTheRunner() throws {
        let world = FakeWorld()
        world.network.outcomes = [.connect, .refuse, .refuse, .refuse, .connect, .connect]
        let runner = try world.start("""
        {"TCP":"127.0.0.1:81","Interval":"1s","FailuresBeforeWarning":1,"FailuresBeforeCritical":3,"SuccessBeforePassing":2}
        """)
        world.clock.turn()
        for _ in 0..<5 { world.clock.advance(by: 1_000_000_000) }
        #expect(world.network.attempts.count == 6)
        #expect(world.statuses == ["passing", "warning", "warning", "critical", "passing"])
        #expect(world.reports[3].output == "dial tcp 127.0.0.1:81: connect: connection refused")
        #expect(world.logged.filter { $0 == "Check passed but has not reached success threshold" }.count == 1)
        #expect(world.logged.filter { $0 == "Check is now warning" }.count == 2)
        runner.stop()
    }

    /// A connect that does not finish within the timeout is critical `i/o timeout`.
    @Test func tcpTimeout() throws {
        let world = FakeWorld()
        world.network.defaultOutcome = .hang
        let runner = try world.start(#"{"TCP":"10.0.0.1:80","Interval":"30s","Timeout":"2s"}"#)
        world.clock.advance(by: 2_000_000_000)
        #expect(world.statuses == ["critical"])
        #expect(world.lastOutput == "dial tcp 10.0.0.1:80: i/o timeout")
        runner.stop()
    }

    /// Names go through the Resolver; every address is tried; a failed lookup is critical.
    @Test func tcpResolvesNames() throws {
        let world = FakeWorld()
        world.resolver.table["db.local"] = ["10.0.0.1", "10.0.0.2"]
        world.network.outcomes = [.refuse, .connect]
        let runner = try world.start(#"{"TCP":"db.local:5432","Interval":"5s"}"#)
        world.clock.turn()
        #expect(world.network.attempts.map(\.host) == ["10.0.0.1", "10.0.0.2"])
        #expect(world.lastOutput == "TCP connect db.local:5432: Success")
        runner.stop()

        let other = FakeWorld()
        let missing = try other.start(#"{"TCP":"nowhere:1","Interval":"5s"}"#)
        other.clock.turn()
        #expect(other.lastOutput == "dial tcp: lookup nowhere: no such host")
        missing.stop()
    }

    /// A malformed address and TCP+TLS are critical without touching the network.
    @Test func tcpAddressErrors() throws {
        let world = FakeWorld()
        let a = try world.start(#"{"TCP":"127.0.0.1","Interval":"5s"}"#)
        world.clock.turn()
        #expect(world.lastOutput == "dial tcp: address 127.0.0.1: missing port in address")
        a.stop()
        let b = try world.start(#"{"TCP":"127.0.0.1:1","TCPUseTLS":true,"Interval":"5s"}"#)
        world.clock.turn()
        #expect(world.lastOutput == "TLS not supported by this build")
        #expect(world.network.attempts.isEmpty)
        b.stop()
    }

    /// Stopping mid-attempt drops the result and closes a connection that arrives later.
    @Test func stopDuringAttempt() throws {
        let world = FakeWorld()
        world.network.outcomes = [.connectAfter(1_000_000_000)]
        let runner = try world.start(#"{"TCP":"127.0.0.1:80","Interval":"5s"}"#)
        world.clock.turn()
        #expect(world.network.attempts.count == 1)
        runner.stop()
        world.clock.advance(by: 10_000_000_000)
        #expect(world.reports.isEmpty)
        #expect(world.network.connections.count == 1)
        #expect(world.network.connections.allSatisfy { $0.closed })
        #expect(world.network.attempts.count == 1)
    }

    /// Kinds this build lacks (H2PING, Docker) and gRPC over TLS report critical, saying so.
    @Test func unsupportedKinds() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"H2PING":"127.0.0.1:9000","Interval":"5s"}"#)
        world.clock.turn()
        #expect(world.statuses == ["critical"])
        #expect(world.lastOutput == "H2PING checks are not supported by this build")
        runner.stop()
        let tls = FakeWorld()
        let grpc = try tls.start(#"{"GRPC":"127.0.0.1:9000","GRPCUseTLS":true,"Interval":"5s"}"#)
        tls.clock.turn()
        #expect(tls.statuses == ["critical"])
        #expect(tls.lastOutput == "TLS not supported by this build")
        grpc.stop()
    }
}
