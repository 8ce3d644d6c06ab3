import Agent
import Testing

/// Alias checks: the aliased service's worst status, through the AliasSource closure.
@Suite struct AliasCheckTests {
    final class Source: AliasSubscription {
        var onChange: ((AliasSnapshot) -> Void)?
        var target: AliasTarget?
        var cancelled = false
        func cancel() { cancelled = true }
    }

    private func check(_ id: String, _ status: String, service: String = "web", node: String = "n1", output: String = "") -> AliasedCheck {
        AliasedCheck(node: node, checkID: id, name: "check \(id)", status: status, output: output, serviceID: service)
    }

    /// The runner subscribes to its target and reports every evaluation; stop cancels.
    @Test func mirrorsTargetThroughTheSource() throws {
        let world = FakeWorld()
        let source = Source()
        let runner = try world.start(#"{"AliasService":"web"}"#, alias: { target, onChange in
            source.target = target
            source.onChange = onChange
            return source
        })
        #expect(source.target == AliasTarget(node: "", serviceID: "web"))
        source.onChange?(AliasSnapshot(checks: [check("a", "passing")], serviceExists: true))
        source.onChange?(AliasSnapshot(checks: [check("a", "passing"), check("b", "warning", output: "slow")], serviceExists: true))
        #expect(world.reports.map(\.status) == ["passing", "warning"])
        #expect(world.reports[0].output == "All checks passing.")
        #expect(world.reports[1].output == #"Aliased check "check b" failing: slow"#)
        runner.stop()
        #expect(source.cancelled)
        source.onChange?(AliasSnapshot(checks: [], serviceExists: false))
        #expect(world.reports.count == 2)
    }

    /// Consul's processChecks: critical wins, node checks count, other services do not,
    /// a missing service is critical, no checks is passing.
    @Test func evaluationRules() {
        let target = AliasTarget(node: "", serviceID: "web")
        func eval(_ checks: [AliasedCheck], exists: Bool = true) -> String {
            let snapshot = AliasSnapshot(checks: checks, serviceExists: exists)
            // `evaluate` is internal; go through a runner with a source that answers at once.
            let world = FakeWorld()
            let runner = try! world.start(#"{"AliasService":"web","ID":"alias"}"#, alias: { _, onChange in
                onChange(snapshot); return Source()
            })
            runner.stop()
            return "\(world.reports[0].status): \(world.reports[0].output)"
        }
        _ = target
        #expect(eval([]) == "passing: No checks found.")
        #expect(eval([], exists: false) == "critical: Service web could not be found on node ")
        #expect(eval([check("x", "critical", service: "db")]) == "passing: No checks found.")
        #expect(eval([check("n", "critical", service: "", output: "down")]) == #"critical: Aliased check "check n" failing: down"#)
        #expect(eval([check("a", "critical", output: "bad"), check("b", "warning")]) == #"critical: Aliased check "check a" failing: bad"#)
        #expect(eval([check("a", "warning", output: "w"), check("b", "passing")]) == #"warning: Aliased check "check a" failing: w"#)
        #expect(eval([check("alias", "critical", service: "")]) == "passing: No checks found.")
    }

    /// A remote read failure is critical with Consul's prefix; without a source, critical too.
    @Test func errorsAndMissingSource() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"AliasNode":"n2","AliasService":"web"}"#, alias: { target, onChange in
            #expect(target == AliasTarget(node: "n2", serviceID: "web"))
            onChange(AliasSnapshot(checks: [], serviceExists: true, error: "rpc error: no leader"))
            return Source()
        })
        #expect(world.reports.last?.output == "Failure checking aliased node or service: rpc error: no leader")
        runner.stop()
        let bare = try world.start(#"{"AliasService":"web"}"#)
        #expect(world.reports.last == .init(checkID: "check", status: "critical", output: "Alias checks are not supported by this agent"))
        bare.stop()
    }
}
