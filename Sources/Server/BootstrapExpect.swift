import Raft

/// `-bootstrap-expect N`: no server founds the cluster alone; each waits until gossip shows N
/// alive servers of its datacenter, none of them already part of a cluster.
extension ConsulServer {
    /// `-bootstrap-expect N`: once N servers of our datacenter (ourselves included) are alive
    /// and none of them already belongs to a cluster, every one of them founds the same cluster.
    func maybeBootstrapExpect() {
        guard config.bootstrapExpect > 0, raftNode.raft.isPristine else { return }
        let servers = knownServers().filter { $0.status == .alive }
        for s in servers where s.tags["expect"] != nil && s.tags["expect"] != String(config.bootstrapExpect) {
            log.error("Member has a conflicting expect value. All nodes should expect the same number.", [("member", s.name)])
            return
        }
        guard servers.count >= config.bootstrapExpect else {
            log.debug("bootstrap-expect: waiting for servers", [("have", String(servers.count)), ("expect", String(config.bootstrapExpect))])
            return
        }
        let voters = Set(servers.map(\.id))
        guard voters.contains(nodeID) else { return }
        log.info("Found expected number of peers, attempting bootstrap", [("peers", servers.map { $0.address.description }.sorted().joined(separator: ","))])
        raftNode.bootstrap(Configuration(voters: voters))
    }
}
