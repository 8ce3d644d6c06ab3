/// Timing and limits, in ticks and counts; the driver decides how long a tick is.
public struct RaftConfig: Sendable {
    public var id: ServerID
    /// Minimum election timeout; each node waits a random number of ticks in [E, 2E).
    public var electionTicks: Int = 10
    /// A leader sends heartbeats every this many ticks.
    public var heartbeatTicks: Int = 1
    /// A leader may serve reads without a quorum round while a quorum answered within this many
    /// ticks. Kept below `electionTicks` so no other leader can exist during the lease.
    public var leaseTicks: Int = 5
    public var preVote = true
    /// The leader steps down when it has not heard from a quorum for `electionTicks`.
    public var checkQuorum = true
    /// Pipelined AppendEntries messages in flight per follower.
    public var inflightMax = 64
    public var entriesPerMessageMax = 64
    /// Entry data per append message beyond its first entry: keeps one message (a frame on the
    /// server RPC, at most 64 MiB) bounded when a large entry (a snapshot restore) is in the log.
    public var entriesBytesPerMessageMax = 4 << 20
    public var snapshotChunkBytes = 256 * 1024
    /// Seeds the election-timeout randomness (deterministic replays).
    public var seed: UInt64 = 1

    public init(id: ServerID) { self.id = id }

    /// Consul's timings (agent.md §7.1) at a given tick length: heartbeat 1 s × multiplier,
    /// election 1 s × multiplier, lease 0.5 s × multiplier.
    public static func consul(id: ServerID, raftMultiplier: Int, tickMilliseconds: Int) -> RaftConfig {
        var c = RaftConfig(id: id)
        let unit = max(1, 1000 * raftMultiplier / tickMilliseconds)
        c.electionTicks = unit
        c.heartbeatTicks = max(1, unit / 10)
        c.leaseTicks = max(1, unit / 2)
        return c
    }
}

/// Deterministic xorshift64* randomness owned by the core (no ambient RNG in tier 1).
struct DeterministicRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func next(below n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}
