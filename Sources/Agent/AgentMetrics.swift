import Gossip
import Metrics

/// The agent's own metrics (docs/metrics.md): gossip per pool (`network` = lan|wan), DNS
/// queries, requests a client sends to servers, and the process's runtime gauges.
final class AgentMetrics {
    struct Pool {
        let join, failed, left, update, events: Metric
        let healthScore: Metric
        let gossip, probeNode: Metric
        init(_ r: MetricsRegistry, network: String) {
            let labels = [("network", network)]
            join = r.counter("serf.member.join", labels: labels, help: "Increments when an agent joins the cluster.")
            failed = r.counter("serf.member.failed", labels: labels, help: "Increments when an agent is marked dead.")
            left = r.counter("serf.member.left", labels: labels, help: "Increments when an agent leaves the cluster.")
            update = r.counter("serf.member.update", labels: labels, help: "Increments when an agent's tags are updated.")
            events = r.counter("serf.events", labels: labels, help: "Increments when an agent processes a user event.")
            gossip = r.sample("memberlist.gossip", labels: labels, help: "Measures the time taken for gossip messages to be broadcasted to a set of randomly selected nodes.")
            probeNode = r.sample("memberlist.probeNode", labels: labels, help: "Measures the time taken to perform a single round of failure detection on a select agent.")
            healthScore = r.gauge("memberlist.health.score", labels: labels,
                                  help: "Describes a node's perception of its own health based on how well it is meeting the soft real-time requirements of the protocol.")
        }

        /// Counts the pool's events and times its gossip rounds and probes.
        func observe(_ pool: GossipPool) {
            pool.onGossipRound = { [gossip] in gossip.observe(nanoseconds: $0) }
            pool.onProbe = { [probeNode] in probeNode.observe(nanoseconds: $0) }
        }

        func count(_ event: SerfEvent) {
            switch event {
            case .memberJoin: join.increment()
            case .memberFailed: failed.increment()
            case .memberLeave: left.increment()
            case .memberUpdate: update.increment()
            case .user: events.increment()
            case .memberReap: break
            }
        }
    }

    let lan: Pool
    let wan: Pool
    let dnsDomainQuery: Metric
    let dnsPTRQuery: Metric
    let clientRPC: Metric
    let allocBytes, sysBytes, rssBytes, threads, openFDs: Metric

    init(_ r: MetricsRegistry, nodeName: String) {
        lan = Pool(r, network: "lan")
        wan = Pool(r, network: "wan")
        let node = [("node", nodeName)]
        dnsDomainQuery = r.sample("dns.domain_query", labels: node, help: "Measures the time spent handling a domain query for the given node.")
        dnsPTRQuery = r.sample("dns.ptr_query", labels: node, help: "Measures the time spent handling a reverse DNS query for the given node.")
        clientRPC = r.counter("client.rpc", help: "Increments whenever a Consul agent makes an RPC request to a Consul server.")
        allocBytes = r.gauge("runtime.alloc_bytes", help: "Bytes in use by the process's allocator (malloc).")
        sysBytes = r.gauge("runtime.sys_bytes", help: "Bytes the process's allocator holds from the operating system.")
        rssBytes = r.gauge("runtime.rss_bytes", help: "Resident memory of the process in bytes.")
        threads = r.gauge("runtime.num_threads", help: "Threads of the process.")
        openFDs = r.gauge("runtime.open_fds", help: "Open file descriptors of the process.")
    }
}
