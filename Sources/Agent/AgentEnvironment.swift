import Metrics
import Platform

/// Definitions a reload could not apply, named with their reasons.
struct ReloadError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What the agent needs from the outside world; the composition root supplies live
/// implementations (libuv), tests may supply others.
public struct AgentEnvironment {
    public var clock: EventLoopClock
    public var network: StreamNetwork
    public var random: RandomSource
    public var logSink: LogSink
    /// What health checks use: UDP, name resolution off the loop, child processes.
    public var datagrams: DatagramNetwork
    public var resolver: Resolver
    public var processes: ProcessRunner
    /// Machine facts for `consul info` (architecture, CPUs, threads).
    public var hostFacts: HostFacts
    /// API-registered services and checks kept under the data directory (nil in -dev).
    public var serviceRecords: RecordStore?
    public var checkRecords: RecordStore?
    /// Last TTL status/output per check with its expiry (`checks/state`), restored at start-up.
    public var checkStateRecords: RecordStore?
    /// `<data-dir>/serf`: the LAN pool's member snapshot (`local.snapshot`), for rejoining at start.
    public var serfRecords: RecordStore?
    /// Durable Raft log and snapshots for a server with a data directory; nil = in memory (-dev).
    public var raftStorage: RaftStorage?
    public var snapshotStore: SnapshotStore?
    /// Packs and unpacks `/v1/snapshot` archives on a server (dev mode included).
    public var snapshotArchiver: SnapshotArchiver?
    /// TLS client for HTTPS and TCP-with-TLS checks (nil: they report critical, unsupported).
    public var tls: TLSClient?
    /// `raft/peers.json` when the operator left one, and how to delete it once applied.
    public var peersJSON: [UInt8]?
    public var removePeersJSON: () -> Void = {}
    /// The process's own readings (RSS, descriptors, CPU, malloc) for metrics; nil: none.
    public var processFacts: (() -> ProcessFacts)?
    /// `ui_config.dir`'s files (relative path, bytes), read at start-up; nil: the embedded UI.
    public var uiFiles: [(path: String, bytes: [UInt8])]?

    public init(clock: EventLoopClock, network: StreamNetwork, random: RandomSource, logSink: LogSink,
                datagrams: DatagramNetwork, resolver: Resolver, processes: ProcessRunner, hostFacts: HostFacts,
                raftStorage: RaftStorage? = nil, snapshotStore: SnapshotStore? = nil) {
        self.clock = clock
        self.network = network
        self.random = random
        self.logSink = logSink
        self.datagrams = datagrams
        self.resolver = resolver
        self.processes = processes
        self.hostFacts = hostFacts
        self.raftStorage = raftStorage
        self.snapshotStore = snapshotStore
    }
}
