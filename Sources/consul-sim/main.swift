import Glibc
import Simulation

/// `consul-sim [--seeds N] [--start S] [--size 1|3|5]`: runs N seeded simulations and exits
/// non-zero if any fails; rerun one seed with `--seeds 1 --start <seed>` to replay it exactly.
var seeds: UInt64 = 100
var start: UInt64 = 1
var size: Int?
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--seeds": seeds = UInt64(args.popFirst() ?? "") ?? seeds
    case "--start": start = UInt64(args.popFirst() ?? "") ?? start
    case "--size": size = Int(args.popFirst() ?? "")
    default:
        print("usage: consul-sim [--seeds N] [--start S] [--size 1|3|5]")
        exit(2)
    }
}
var failures = 0
for seed in start..<(start + seeds) {
    let result = SimRunner.run(seed: seed, size: size)
    if result.failure != nil { failures += 1 }
    if result.failure != nil || seeds <= 20 { print(result) }
}
print("\(seeds) seeds from \(start): \(failures) failed")
exit(failures == 0 ? 0 : 1)
