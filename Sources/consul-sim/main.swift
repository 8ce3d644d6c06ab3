import Glibc
import Simulation

/// `consul-sim [--seeds N] [--start S] [--size 1|3|5] [--servers]`: runs N seeded simulations and
/// exits non-zero if any fails; rerun one seed with `--seeds 1 --start <seed>` to replay it exactly.
/// `--servers` runs the production server (ConsulServer over simulated TCP) instead of bare Raft nodes.
var seeds: UInt64 = 100
var start: UInt64 = 1
var size: Int?
var servers = false
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--seeds": seeds = UInt64(args.popFirst() ?? "") ?? seeds
    case "--start": start = UInt64(args.popFirst() ?? "") ?? start
    case "--size": size = Int(args.popFirst() ?? "")
    case "--servers": servers = true
    default:
        print("usage: consul-sim [--seeds N] [--start S] [--size 1|3|5] [--servers]")
        exit(2)
    }
}
var failures = 0
var sessions = 0, lockDelayChecks = 0, clientReads = 0
for seed in start..<(start + seeds) {
    let result = servers ? ServerSimRunner.run(seed: seed, size: size) : SimRunner.run(seed: seed, size: size)
    if result.failure != nil { failures += 1 }
    (sessions, lockDelayChecks, clientReads) = (sessions + result.sessions, lockDelayChecks + result.lockDelayChecks, clientReads + result.clientReads)
    if result.failure != nil || seeds <= 20 { print(result) }
}
if servers { print("sessions created: \(sessions), lock acquisitions held to a lock-delay: \(lockDelayChecks), reads through client agents: \(clientReads)") }
print("\(seeds) seeds from \(start): \(failures) failed")
exit(failures == 0 ? 0 : 1)
