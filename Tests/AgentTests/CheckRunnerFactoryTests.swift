import Agent
import ConsulAPI
import Testing

/// The factory's agent rules: timeouts per kind, output limits, runner per kind.
@Suite struct CheckRunnerFactoryTests {
    private func type(_ json: String) throws -> CheckType { try CheckType.decode(JSONParser.parse(json)) }

    /// Network checks default to 10s, scripts to 30s; a given Timeout wins.
    @Test func timeouts() throws {
        #expect(CheckRunnerFactory.effectiveTimeoutNanoseconds(try type(#"{"HTTP":"http://a","Interval":"1s"}"#)) == 10_000_000_000)
        #expect(CheckRunnerFactory.effectiveTimeoutNanoseconds(try type(#"{"UDP":"a:1","Interval":"1s"}"#)) == 10_000_000_000)
        #expect(CheckRunnerFactory.effectiveTimeoutNanoseconds(try type(#"{"Args":["x"],"Interval":"1s"}"#)) == 30_000_000_000)
        #expect(CheckRunnerFactory.effectiveTimeoutNanoseconds(try type(#"{"TCP":"a:1","Interval":"1s","Timeout":"3s"}"#)) == 3_000_000_000)
    }

    /// The agent limit (default 4096) applies unless the definition asks for less.
    @Test func outputLimits() throws {
        #expect(CheckRunnerFactory.effectiveOutputMaxSize(try type("{}"), agentLimit: 0) == 4096)
        #expect(CheckRunnerFactory.effectiveOutputMaxSize(try type(#"{"OutputMaxSize":100}"#), agentLimit: 0) == 100)
        #expect(CheckRunnerFactory.effectiveOutputMaxSize(try type(#"{"OutputMaxSize":9000}"#), agentLimit: 0) == 4096)
        #expect(CheckRunnerFactory.effectiveOutputMaxSize(try type(#"{"OutputMaxSize":9000}"#), agentLimit: 8192) == 8192)
    }

    /// TTL definitions get a TTLCheckRunner; the explicit check ID is what reports carry.
    @Test func runnerKinds() throws {
        let world = FakeWorld()
        let ttl = try CheckRunnerFactory.make(type: try type(#"{"TTL":"5s"}"#), checkID: "service:web",
                                              environment: world.environment()) { world.reports.append($0) }
        #expect(ttl is TTLCheckRunner)
        ttl.start()
        world.clock.advance(by: 5_000_000_000)
        #expect(world.reports.last?.checkID == "service:web")
        ttl.stop()
        #expect(throws: CheckRunnerError("Check type is not valid")) {
            _ = try CheckRunnerFactory.make(type: CheckType(), environment: world.environment()) { _ in }
        }
    }
}
