import Agent
import Platform
import Testing

/// Script checks over a fake process runner: exit-code rules, output, timeout, refusal.
@Suite struct ScriptCheckTests {
    private func outcome(_ termination: ProcessOutcome.Termination, _ output: String = "", total: Int? = nil) -> ProcessOutcome {
        ProcessOutcome(termination: termination, output: Array(output.utf8), totalOutputBytes: total ?? output.utf8.count)
    }

    /// Exit 0 passing, 1 warning, anything else or a signal critical; output is stdout+stderr.
    @Test func exitCodes() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"Args":["/usr/bin/check","-v"],"Interval":"10s"}"#)
        world.clock.turn()
        let first = try #require(world.processes.children.first)
        #expect(first.request.arguments == ["/usr/bin/check", "-v"])
        #expect(first.request.timeoutNanoseconds == 30_000_000_000)
        #expect(first.request.outputLimitBytes == 4096)
        #expect(first.request.environment == nil)
        first.finish(outcome(.exited(code: 0), "all good\n"))
        for (termination, _) in [(ProcessOutcome.Termination.exited(code: 1), ""), (.exited(code: 2), ""), (.signaled(signal: 9), "")] {
            world.clock.advance(by: 10_000_000_000)
            world.processes.children.last!.finish(outcome(termination, "x"))
        }
        #expect(world.statuses == ["passing", "warning", "critical", "critical"])
        #expect(world.reports[0].output == "all good\n")
        runner.stop()
    }

    /// Truncated output is announced the way Consul's circular buffer does.
    @Test func truncatedOutput() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"Args":["x"],"Interval":"10s","OutputMaxSize":4}"#)
        world.clock.turn()
        world.processes.children[0].finish(outcome(.exited(code: 0), "6789", total: 10))
        #expect(world.lastOutput == "Captured 4 of 10 bytes\n...\n6789")
        runner.stop()
    }

    /// A timeout is critical `Timed out (<d>) running check` plus output, past the thresholds.
    @Test func timeoutBypassesThresholds() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"Args":["sleep","60"],"Interval":"10s","Timeout":"1500ms","FailuresBeforeCritical":5}"#)
        world.clock.turn()
        #expect(world.processes.children[0].request.timeoutNanoseconds == 1_500_000_000)
        world.processes.children[0].finish(outcome(.timedOut, "partial"))
        #expect(world.reports == [.init(checkID: "check", status: "critical", output: "Timed out (1.5s) running check\n\npartial")])
        world.clock.advance(by: 10_000_000_000)
        world.processes.children[1].finish(outcome(.timedOut))
        #expect(world.lastOutput == "Timed out (1.5s) running check")
        runner.stop()
    }

    /// A program that cannot start is critical with the spawn error, past the thresholds.
    @Test func spawnFailure() throws {
        let world = FakeWorld()
        world.processes.spawnError = ProcessError(program: "nope", message: "no such file or directory")
        let runner = try world.start(#"{"Args":["nope"],"Interval":"10s","FailuresBeforeCritical":3}"#)
        world.clock.turn()
        #expect(world.reports == [.init(checkID: "check", status: "critical", output: "exec nope: no such file or directory")])
        runner.stop()
    }

    /// Stopping kills a running script and drops its result.
    @Test func stopKills() throws {
        let world = FakeWorld()
        let runner = try world.start(#"{"Args":["x"],"Interval":"10s"}"#)
        world.clock.turn()
        runner.stop()
        #expect(world.processes.children[0].killed)
        world.processes.children[0].finish(outcome(.signaled(signal: 9)))
        #expect(world.reports.isEmpty)
    }

    /// Without enable_script_checks the definition is refused with Consul's text.
    @Test func disabledScripts() throws {
        let world = FakeWorld()
        #expect(throws: CheckRunnerError.scriptChecksDisabled) {
            _ = try world.start(#"{"Args":["x"],"Interval":"10s"}"#, scripts: false)
        }
        #expect(CheckRunnerError.scriptChecksDisabled.message
            == "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true")
    }
}
