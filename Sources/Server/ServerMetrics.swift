import ConsulState
import Metrics

/// The Raft metrics Consul reports (hashicorp/raft's names, docs/metrics.md), as handles made
/// once. Counters and timers are updated where the event happens; the index gauges by
/// `ServerMetrics.tick`.
public final class RaftMetrics {
    let apply: Metric
    let commitTime: Metric
    let commitNumLogs: Metric
    let fsmApply: Metric
    let leaderDispatchLog: Metric
    let leaderLastContact: Metric
    let stateLeader: Metric
    let stateCandidate: Metric
    let stateFollower: Metric
    let snapshotCreate: Metric
    let snapshotPersist: Metric
    let snapshotTake: Metric
    let lastIndex: Metric
    let appliedIndex: Metric
    let replication: ReplicationTimings

    public init(_ r: MetricsRegistry) {
        replication = ReplicationTimings(registry: r)
        apply = r.counter("raft.apply", help: "This counts the number of Raft transactions occurring over the interval.")
        commitTime = r.sample("raft.commitTime", help: "This measures the time it takes to commit a new entry to the Raft log on the leader.")
        commitNumLogs = r.gauge("raft.commitNumLogs", help: "This measures the number of logs processed per batch to be applied to the FSM.")
        fsmApply = r.sample("raft.fsm.apply", help: "This measures the time to apply a log to the FSM.")
        leaderDispatchLog = r.sample("raft.leader.dispatchLog", help: "This measures the time it takes for the leader to write log entries to disk.")
        leaderLastContact = r.sample("raft.leader.lastContact",
                                     help: "Measures the time since the leader was last able to contact the follower nodes when checking its leader lease.")
        stateLeader = r.counter("raft.state.leader", help: "This increments whenever a Consul server becomes a leader.")
        stateCandidate = r.counter("raft.state.candidate", help: "This increments whenever a Consul server starts an election.")
        stateFollower = r.counter("raft.state.follower", help: "Counts the number of times an agent has entered the follower mode.")
        snapshotCreate = r.sample("raft.snapshot.create", help: "Measures the time taken to initialize the snapshot process.")
        snapshotPersist = r.sample("raft.snapshot.persist", help: "Measures the time taken to dump the current snapshot taken by the Consul agent to the disk.")
        snapshotTake = r.sample("raft.snapshot.takeSnapshot", help: "Measures the total time involved in taking the current snapshot.")
        lastIndex = r.gauge("raft.last_index", help: "Represents the raft last index.")
        appliedIndex = r.gauge("raft.applied_index", help: "Represents the raft applied index.")
    }
}

/// The server's own metrics: writes by kind, RPC traffic, the leader's duties and the state's
/// size (Consul's usage gauges), all named as Consul names them.
public final class ServerMetrics {
    public let raft: RaftMetrics
    let kvsApply: Metric
    let txnApply: Metric
    let sessionApply: Metric
    let catalogRegister: Metric
    let catalogDeregister: Metric
    let rpcRequest: Metric
    let rpcQuery: Metric
    let leaderReconcile: Metric
    let autopilotHealthy: Metric
    let autopilotFailureTolerance: Metric
    let isLeader: Metric
    let sessionTTLActive: Metric
    let stateNodes: Metric
    let stateServices: Metric
    let stateServiceInstances: Metric
    let stateKVEntries: Metric
    let membersClients: Metric
    let membersServers: Metric

    public init(_ r: MetricsRegistry, datacenter: String) {
        raft = RaftMetrics(r)
        kvsApply = r.sample("kvs.apply", help: "Measures the time it takes to complete an update to the KV store.")
        txnApply = r.sample("txn.apply", help: "Measures the time spent applying a transaction operation.")
        sessionApply = r.sample("session.apply", help: "Measures the time spent applying a session update.")
        catalogRegister = r.sample("catalog.register", help: "Measures the time it takes to complete a catalog register operation.")
        catalogDeregister = r.sample("catalog.deregister", help: "Measures the time it takes to complete a catalog deregister operation.")
        rpcRequest = r.counter("rpc.request", help: "Increments when a server receives a Consul-related RPC request.")
        rpcQuery = r.counter("rpc.query", help: "Increments when a server receives a read request, indicating the rate of new read queries.")
        leaderReconcile = r.sample("leader.reconcile", help: "Measures the time spent updating the raft store from the serf member information.")
        autopilotHealthy = r.gauge("autopilot.healthy", help: "Tracks the overall health of the local server cluster. 1 if all servers are healthy, 0 if one or more are unhealthy.")
        autopilotFailureTolerance = r.gauge("autopilot.failure_tolerance",
                                            help: "Tracks the number of voting servers that the cluster can lose while continuing to function.")
        isLeader = r.gauge("server.isLeader", help: "Tracks if the server is a leader.")
        sessionTTLActive = r.gauge("session_ttl.active", help: "Tracks the active number of sessions being tracked.")
        let dc = [("datacenter", datacenter)]
        stateNodes = r.gauge("state.nodes", labels: dc, help: "Measures the current number of nodes registered with Consul.")
        stateServices = r.gauge("state.services", labels: dc, help: "Measures the current number of unique services registered with Consul, based on service name.")
        stateServiceInstances = r.gauge("state.service_instances", labels: dc, help: "Measures the current number of unique service instances registered with Consul.")
        stateKVEntries = r.gauge("state.kv_entries", labels: dc, help: "Measures the current number of entries in the Consul KV store.")
        membersClients = r.gauge("members.clients", labels: dc, help: "Measures the current number of client agents registered with Consul.")
        membersServers = r.gauge("members.servers", labels: dc, help: "Measures the current number of server agents registered with Consul.")
    }

    /// The write timer for `command`'s kind (nil for kinds Consul does not time).
    func writeTimer(_ command: Command) -> Metric? {
        switch command {
        case .kvSet, .kvCAS, .kvDelete, .kvDeleteCAS, .kvDeleteTree, .kvLock, .kvUnlock: return kvsApply
        case .txn: return txnApply
        case .sessionCreate, .sessionDestroy: return sessionApply
        case .catalogRegister: return catalogRegister
        case .catalogDeregister: return catalogDeregister
        default: return nil
        }
    }
}
