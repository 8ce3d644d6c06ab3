import Config
import ConsulAPI
import ConsulState
import Gossip
import HTTPAPI
import Platform
import Raft
import Server

/// Servers working as a cluster: the server RPC (Raft traffic, forwarded writes and reads),
/// the address book of servers learned from gossip, `-bootstrap-expect`, adding servers that
/// join later (autopilot's non-voter-then-promote rule), and the leader reconciling gossip
/// membership into the catalog (`serfHealth`).
extension Agent: RPCHandler {
    public func handleRaft(_ message: Message) {
        raftNode?.receive(message)
    }

    public func handleRequest(_ request: RPCRequest, from peer: SocketAddress?, reply: @escaping (RPCResponse) -> Void) {
        guard let backend = backend as? RaftBackend else { return reply(.error(code: .internal, message: "not a server")) }
        switch request.method {
        case .apply:
            // From a client agent or a follower: apply here if leading, else forward on.
            guard let command = try? Command(encoded: request.body) else { return reply(.error(code: .badRequest, message: "malformed command")) }
            backend.apply(command) { result in
                switch result {
                case .success(let r): reply(.ok(RPCReplyCodec.encode(r)))
                case .failure(.noLeader): reply(.error(code: .noLeader, message: "No cluster leader"))
                case .failure(.other(let message)): reply(.error(code: .rejected, message: message))
                }
            }
        case .readIndex: backend.serveReadIndex(consistent: request.body.first == 1, reply: reply)
        case .peers: reply(.ok(RPCReplyCodec.encode(strings: raftPeers)))
        case .dnsQuery: handleDNSRPC(request.body, reply: reply)
        case .forwardHTTP:
            guard let forwarded = try? ForwardedHTTP.decodeRequest(request.body) else {
                return reply(.error(code: .badRequest, message: "malformed forwarded HTTP request"))
            }
            dispatchHTTP(forwarded, Responder { response in reply(.ok(ForwardedHTTP.encode(response))) })
        }
    }

    /// Client agents forward everything but their own agent endpoints (and the UI).
    static func forwardsToServer(_ path: String) -> Bool {
        // User events are agent-local too: fired into our own gossip pool, listed from our own log.
        path.hasPrefix("/v1/") && !path.hasPrefix("/v1/agent/") && !path.hasPrefix("/v1/event/")
    }

    /// A client's view of usable servers changed.
    func clientServersChanged() {
        guard let client = backend as? ClientBackend else { return }
        client.updateServers(knownServers().filter { $0.status == .alive }.map(\.address))
    }

    /// The server's RPC address as peers dial it.
    var serverAddress: String { "\(config.effectiveAdvertiseAddr):\(config.ports.server)" }

    func startServerRPC() throws {
        guard let rpc else { return }
        let address = SocketAddress(host: config.bindAddr, port: config.ports.server)
        try rpc.listen(on: address)
        rpc.handler = self
        serverAddresses[nodeID] = SocketAddress(host: config.effectiveAdvertiseAddr, port: config.ports.server)
        logger.info("server RPC listening", [("address", address.description)])
    }

    /// The gossip view of Consul servers in our datacenter: node ID → (name, RPC address, tags).
    func knownServers() -> [(id: String, name: String, address: SocketAddress, tags: [String: String], status: MemberStatus)] {
        guard let lanPool else { return [] }
        return lanPool.serf.members.compactMap { m in
            guard m.tags["role"] == "consul", m.tags["dc"] == config.datacenter, let id = m.tags["id"], !id.isEmpty,
                  let port = m.tags["port"].flatMap(Int.init) else { return nil }
            return (id, m.name, SocketAddress(host: m.address.host, port: port), m.tags, m.status)
        }
    }

    /// Keeps the Raft address book in step with gossip, and bootstraps when enough servers showed up.
    func serversChanged() {
        for server in knownServers() { serverAddresses[server.id] = server.address }
        maybeBootstrapExpect()
        floodJoinWAN()
    }

    /// `-bootstrap-expect N`: once N servers of our datacenter (ourselves included) are alive
    /// and none of them already belongs to a cluster, every one of them founds the same cluster.
    func maybeBootstrapExpect() {
        guard config.bootstrapExpect > 0, let raftNode, raftNode.raft.isPristine else { return }
        let servers = knownServers().filter { $0.status == .alive }
        for s in servers where s.tags["expect"] != nil && s.tags["expect"] != String(config.bootstrapExpect) {
            logger.error("Member has a conflicting expect value. All nodes should expect the same number.", [("member", s.name)])
            return
        }
        guard servers.count >= config.bootstrapExpect else {
            logger.debug("bootstrap-expect: waiting for servers", [("have", String(servers.count)), ("expect", String(config.bootstrapExpect))])
            return
        }
        let voters = Set(servers.map(\.id))
        guard voters.contains(nodeID) else { return }
        logger.info("Found expected number of peers, attempting bootstrap", [("peers", servers.map { $0.address.description }.sorted().joined(separator: ","))])
        raftNode.bootstrap(Configuration(voters: voters))
    }

    /// A member event (or new leadership): the leader reconciles on the next loop turn instead of
    /// waiting for the periodic pass (Consul's reconcile channel). Bursts coalesce into one pass.
    func triggerReconcile() {
        guard config.server, !reconcileScheduled else { return }
        reconcileScheduled = true
        environment.clock.schedule(after: 0) { [weak self] in
            guard let self, !self.stopping else { return }
            self.reconcileScheduled = false
            if self.raftNode?.raft.role == .leader { self.reconcileMembers() }
        }
    }

    /// Every second on every server (with or without a server port): the leader adds servers it
    /// sees in gossip but not in Raft (as non-voters, promoted once caught up and stable), and
    /// reconciles members into the catalog.
    func scheduleServerMaintenance() {
        environment.clock.schedule(after: 1_000_000_000) { [weak self] in
            guard let self, !self.stopping else { return }
            self.serversChanged()
            if self.raftNode?.raft.role == .leader {
                self.autopilotStep()
                self.pruneDeadServers()
                self.reconcileMembers()
            }
            self.scheduleServerMaintenance()
        }
    }

    /// One configuration change at a time, as Raft requires.
    func autopilotStep() {
        guard let raftNode else { return }
        let raft = raftNode.raft
        let configuration = raft.configuration
        let now = environment.clock.now
        for server in knownServers() where server.status == .alive && !configuration.members.contains(server.id) {
            logger.info("autopilot: adding server as non-voter", [("id", server.id), ("name", server.name)])
            _ = raft.proposeConfigurationChange(.addNonVoter(server.id))
            raftNode.process()
            nonVoterSince[server.id] = now
            return
        }
        for id in configuration.nonVoters {
            let since = nonVoterSince[id] ?? now
            nonVoterSince[id] = since
            guard let match = raft.matchIndex(of: id), match + 250 >= raft.lastIndex,
                  now.nanoseconds - since.nanoseconds >= Agent.serverStabilizationNanos else { continue }
            logger.info("autopilot: promoting server to voter", [("id", id)])
            _ = raft.proposeConfigurationChange(.promote(id))
            raftNode.process()
            nonVoterSince[id] = nil
            return
        }
    }

    static let serverStabilizationNanos: UInt64 = 10_000_000_000

    /// The `consul` service of a server member of our datacenter (nil for anyone else).
    static func consulService(of member: SerfMember, datacenter: String) -> NodeService? {
        guard member.tags["role"] == "consul", member.tags["dc"] == datacenter,
              let port = member.tags["port"].flatMap(Int.init) else { return nil }
        return consulService(port: port)
    }

    /// The `consul` service every server has in the catalog.
    static func consulService(port: Int) -> NodeService {
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
        guard let lanPool else { return }
        let store = backend.store
        // Consul's shouldHandleMember: agents of our datacenter only (role node or consul); other
        // serf members sharing the pool are not catalog nodes.
        for member in lanPool.serf.members where ["node", "consul"].contains(member.tags["role"] ?? "")
            && member.tags["dc"] == config.datacenter {
            // The leader registers itself like anyone else, but never marks itself failed or gone.
            if member.name == config.nodeName && member.status != .alive { continue }
            switch member.status {
            case .alive:
                let current = store.nodeChecks(member.name).checks.first { $0.checkID == "serfHealth" }
                let (node, services, _) = store.catalogNode(member.name)
                let consulService = Agent.consulService(of: member, datacenter: config.datacenter)
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
                var check = current ?? HealthCheck()
                check.node = member.name
                check.checkID = "serfHealth"
                check.name = "Serf Health Status"
                check.status = HealthStatus.passing
                check.output = "Agent alive and reachable"
                request.checks = [check]
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
                var check = current ?? HealthCheck()
                check.node = member.name
                check.checkID = "serfHealth"
                check.name = "Serf Health Status"
                check.status = HealthStatus.critical
                check.output = "Agent not live or unreachable"
                request.checks = [check]
                backend.apply(.catalogRegister(request), completion: reportReconcileFailure(member.name))
            case .left:
                removeLeftServer(member)
                guard store.catalogNode(member.name).node != nil else { continue }
                logger.info("deregistering member that left", [("member", member.name)])
                backend.apply(.catalogDeregister(DeregisterRequest(node: member.name)), completion: reportReconcileFailure(member.name))
            default:
                continue
            }
        }
    }

    /// Reconciliation is retried by the next pass; a failure is logged, not dropped.
    private func reportReconcileFailure(_ member: String) -> (Result<CommandResult, BackendError>) -> Void {
        { [logger] result in
            switch result {
            case .failure(let error): logger.warn("reconcile: catalog write failed; will retry", [("member", member), ("error", error.message)])
            case .success(.failure(let reason)): logger.warn("reconcile: catalog refused", [("member", member), ("error", reason)])
            case .success: break
            }
        }
    }

    /// A server that left gracefully leaves the Raft configuration too (one change at a time).
    func removeLeftServer(_ member: SerfMember) {
        guard member.tags["role"] == "consul", let id = member.tags["id"], id != nodeID, let raftNode,
              raftNode.raft.configuration.members.contains(id) else { return }
        logger.info("removing server that left from the Raft configuration", [("id", id), ("name", member.name)])
        _ = raftNode.raft.proposeConfigurationChange(.remove(id))
        raftNode.process()
    }

    /// Graceful leave of a server: a leader first removes itself from the configuration (the
    /// core hands leadership over), so the rest keep quorum; a follower is removed by the
    /// leader once its gossip leave arrives. Bounded to 5 s.
    func leaveRaft(completion: @escaping () -> Void) {
        guard let raftNode, !config.devMode, raftNode.raft.configuration.voters.count > 1,
              raftNode.raft.role == .leader else { return completion() }
        logger.info("server leaving: removing ourselves from the Raft configuration")
        _ = raftNode.raft.proposeConfigurationChange(.remove(nodeID))
        raftNode.process()
        let deadline = environment.clock.now.adding(nanoseconds: 5_000_000_000)
        func poll() {
            if !raftNode.raft.configuration.members.contains(nodeID) || environment.clock.now >= deadline { return completion() }
            environment.clock.schedule(after: 50_000_000) { poll() }
        }
        poll()
    }

    /// The leader's Raft address for forwarding.
    var leaderRPCAddress: SocketAddress? {
        guard let leader = raftNode?.raft.leader else { return nil }
        return serverAddresses[leader]
    }
}
