import Agent
import Glibc
import LiveRuntime
import Platform

/// What the agent tells a service manager (docs/packaging.md): systemd's `READY=1` once every
/// listener is up and a server's Raft state is recovered, `RELOADING=1` … `READY=1` around a
/// SIGHUP reload, `STOPPING=1` at shutdown, and a `STATUS=` line that follows the cluster (leader
/// and members), refreshed every few seconds when it changes. Also the `pid_file`.
final class ServiceManagerLink {
    static let statusIntervalNanoseconds: UInt64 = 5_000_000_000

    private let notifier: SystemdNotifier?
    private let pidFile: String
    private var lastStatus = ""
    private var statusTimer: TimerHandle?

    init(pidFile: String) {
        notifier = SystemdNotifier.fromEnvironment()
        self.pidFile = pidFile
    }

    /// Writes the PID file (Consul's `pid_file`): the agent's PID and nothing else.
    func writePIDFile() throws {
        guard !pidFile.isEmpty else { return }
        try Files.writeAtomically(pidFile, Array("\(getpid())".utf8), mode: 0o644)
    }

    func removePIDFile() {
        if !pidFile.isEmpty { unlink(pidFile) }
    }

    func ready(_ agent: Agent, loop: EventLoop) {
        lastStatus = Self.status(agent)
        notifier?.notify(["READY=1", "STATUS=" + lastStatus])
        guard notifier != nil else { return }
        func tick() {
            statusTimer = loop.schedule(after: Self.statusIntervalNanoseconds) { [weak self] in
                guard let self else { return }
                let status = Self.status(agent)
                if status != self.lastStatus {
                    self.lastStatus = status
                    self.notifier?.notify(["STATUS=" + status])
                }
                tick()
            }
        }
        tick()
    }

    func reloading() {
        notifier?.notify(["RELOADING=1", "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())", "STATUS=Reloading configuration"])
    }

    func reloaded(_ agent: Agent, error: Error?) {
        lastStatus = error.map { "Reload failed: \($0)" } ?? Self.status(agent)
        notifier?.notify(["READY=1", "STATUS=" + lastStatus])
    }

    func stopping() {
        statusTimer?.cancel()
        notifier?.notify(["STOPPING=1", "STATUS=Shutting down"])
    }

    /// `Leader: 10.0.0.1:8300, 3 LAN members`, `No cluster leader, …`, or for a client agent its
    /// members and how many are servers.
    static func status(_ agent: Agent) -> String {
        let members = agent.lanMembers.filter { $0.status == 1 }
        let servers = members.filter { member in member.tags.contains { $0.0 == "role" && $0.1 == "consul" } }.count
        let counts = "\(members.count) LAN member\(members.count == 1 ? "" : "s") alive, \(servers) server\(servers == 1 ? "" : "s")"
        guard agent.isServer else { return counts }
        let leader = agent.leaderAddress
        return (leader.isEmpty ? "No cluster leader" : "Leader: \(leader)") + ", " + counts
    }
}
