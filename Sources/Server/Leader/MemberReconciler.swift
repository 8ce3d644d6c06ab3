import Config
import ConsulAPI
import ConsulState
import Gossip
import HTTPAPI
import Platform
import Raft

/// The leader's view of gossip into the catalog (agent.md §7.3, Consul's leader reconcile).
extension ConsulServer {
    /// A member event (or new leadership): the leader reconciles on the next loop turn instead of
    /// waiting for the periodic pass (Consul's reconcile channel). Bursts coalesce into one pass.
    func triggerReconcile() {
        guard config.server, !reconcileScheduled else { return }
        reconcileScheduled = true
        host.clock.schedule(after: 0) { [weak self] in
            guard let self, !self.stopping else { return }
            self.reconcileScheduled = false
            if self.raftNode.raft.role == .leader { self.reconcileMembers() }
        }
    }

    /// The `consul` service of a server member of our datacenter (nil for anyone else).
    public static func consulService(of member: SerfMember, datacenter: String) -> NodeService? {
        guard member.tags["role"] == "consul", member.tags["dc"] == datacenter,
              let port = member.tags["port"].flatMap(Int.init) else { return nil }
        return consulService(port: port)
    }

    /// The `consul` service every server has in the catalog.
    public static func consulService(port: Int) -> NodeService {
        var consul = NodeService()
        consul.id = "consul"
        consul.service = "consul"
        consul.port = port
        consul.meta = ["raft_version": "3", "serf_protocol_current": "2", "serf_protocol_max": "5",
                       "serf_protocol_min": "1", "version": ConsulVersion.version, "non_voter": "false", "read_replica": "false"]
        return consul
    }

    /// The leader's view of gossip into the catalog (agent.md §7.3): alive members are registered
    /// with `serfHealth` passing, failed ones get it critical, members that left are deregistered.
    func reconcileMembers() {
        let started = host.clock.now.nanoseconds
        defer { metrics?.leaderReconcile.observe(nanoseconds: host.clock.now.nanoseconds &- started) }
        let store = backend.store
        // Consul's shouldHandleMember: agents of our datacenter only (role node or consul); other
        // serf members sharing the pool are not catalog nodes.
        for member in host.lanMembers() where ["node", "consul"].contains(member.tags["role"] ?? "")
            && member.tags["dc"] == config.datacenter {
            // The leader registers itself like anyone else, but never marks itself failed or gone.
            if member.name == config.nodeName && member.status != .alive { continue }
            switch member.status {
            case .alive:
                let current = store.nodeChecks(member.name).checks.first { $0.checkID == "serfHealth" }
                let (node, services, _) = store.catalogNode(member.name)
                let consulService = ConsulServer.consulService(of: member, datacenter: config.datacenter)
                let needsService = consulService != nil && !services.contains { $0.id == "consul" }
                guard current?.status != HealthStatus.passing || node == nil || needsService else { continue }
                var request = RegisterRequest()
                request.node.node = member.name
                request.node.id = member.tags["id"] ?? ""
                request.node.address = member.address.host
                request.node.datacenter = config.datacenter
                request.node.taggedAddresses = ["lan": member.address.host, "lan_ipv4": member.address.host,
                                                "wan": member.address.host, "wan_ipv4": member.address.host]
                request.node.meta = ["consul-network-segment": member.tags["segment"] ?? "",
                                     "consul-version": member.tags["build"].map { String($0.prefix { $0 != ":" }) } ?? ""]
                // As Consul's leader: a node already in the catalog keeps the metadata and tagged
                // addresses its agent registered (node_meta), only its health is refreshed.
                if let node {
                    request.node.meta = node.meta
                    request.node.taggedAddresses = node.taggedAddresses
                }
                request.checks = [ConsulServer.serfHealth(of: member.name, from: current, passing: true)]
                backend.apply(.catalogRegister(request), completion: reportReconcileFailure(member.name))
                // A server of ours also gets the `consul` service, as Consul's leader registers it.
                if needsService, let consulService {
                    var serviceRequest = request
                    serviceRequest.service = consulService
                    serviceRequest.checks = []
                    backend.apply(.catalogRegister(serviceRequest), completion: reportReconcileFailure(member.name))
                }
            case .failed:
                let current = store.nodeChecks(member.name).checks.first { $0.checkID == "serfHealth" }
                guard current?.status != HealthStatus.critical, store.catalogNode(member.name).node != nil else { continue }
                var request = RegisterRequest()
                request.node.node = member.name
                request.node.address = member.address.host
                request.skipNodeUpdate = true
                request.checks = [ConsulServer.serfHealth(of: member.name, from: current, passing: false)]
                backend.apply(.catalogRegister(request), completion: reportReconcileFailure(member.name))
            case .left:
                removeLeftServer(member)
                guard store.catalogNode(member.name).node != nil else { continue }
                log.info("deregistering member that left", [("member", member.name)])
                backend.apply(.catalogDeregister(DeregisterRequest(node: member.name)), completion: reportReconcileFailure(member.name))
            default:
                continue
            }
        }
    }

    /// A member's `serfHealth` check, passing (alive) or critical (failed), keeping what the
    /// catalog already holds of it (its indexes).
    public static func serfHealth(of node: String, from current: HealthCheck?, passing: Bool) -> HealthCheck {
        var check = current ?? HealthCheck()
        check.node = node
        check.checkID = "serfHealth"
        check.name = "Serf Health Status"
        check.status = passing ? HealthStatus.passing : HealthStatus.critical
        check.output = passing ? "Agent alive and reachable" : "Agent not live or unreachable"
        return check
    }

    /// Reconciliation is retried by the next pass; a failure is logged, not dropped.
    private func reportReconcileFailure(_ member: String) -> (Result<CommandResult, BackendError>) -> Void {
        { [log] result in
            switch result {
            case .failure(let error): log.warn("reconcile: catalog write failed; will retry", [("member", member), ("error", error.message)])
            case .success(.failure(let reason)): log.warn("reconcile: catalog refused", [("member", member), ("error", reason)])
            case .success: break
            }
        }
    }

    /// A server that left gracefully leaves the Raft configuration too (one change at a time).
    func removeLeftServer(_ member: SerfMember) {
        guard member.tags["role"] == "consul", let id = member.tags["id"], id != nodeID,
              raftNode.raft.configuration.members.contains(id) else { return }
        log.info("removing server that left from the Raft configuration", [("id", id), ("name", member.name)])
        _ = raftNode.raft.proposeConfigurationChange(.remove(id))
        raftNode.process()
    }
}
