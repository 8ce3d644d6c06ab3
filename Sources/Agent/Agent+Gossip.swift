import Wire
import Config
import ConsulAPI
import Gossip
import HTTPAPI
import Platform

/// The agent's LAN gossip pool: tags as Consul sets them, joining (once and with retries),
/// graceful leave, force-leave, and the member list the API and CLI show.
extension Agent {
    /// Consul's serf tags for this agent (agent.md §6.6).
    var serfTags: [String: String] {
        var tags: [String: String] = [
            "build": "\(ConsulVersion.version):\(ConsulVersion.revision)",
            "dc": config.datacenter, "ft_fs": "1", "ft_si": "1", "id": nodeID,
            "role": config.server ? "consul" : "node", "segment": "",
            "vsn": "2", "vsn_max": "3", "vsn_min": "2",
        ]
        if config.server {
            tags["port"] = String(config.ports.server)
            tags["raft_vsn"] = "3"
            tags["wan_join_port"] = String(config.ports.serfWan)
            if config.bootstrap { tags["bootstrap"] = "1" }
            if config.bootstrapExpect > 0 { tags["expect"] = String(config.bootstrapExpect) }
        }
        return tags
    }

    static func makeLANPool(config: AgentConfig, tags: [String: String], environment: AgentEnvironment, logger: Logger) -> GossipPool? {
        guard config.ports.serfLan > 0, let ip = IPText.bytes(config.effectiveAdvertiseAddr) else { return nil }
        var memberlist = MemberlistConfig.lan(name: config.nodeName, addr: ip, port: UInt16(config.ports.serfLan))
        if config.devMode {
            // -dev: 100 ms gossip, probe interval and timeout, suspicion multiplier 3 (agent.md §3.7).
            memberlist.gossipIntervalNanos = 100_000_000
            memberlist.probeIntervalNanos = 100_000_000
            memberlist.probeTimeoutNanos = 100_000_000
            memberlist.suspicionMult = 3
        }
        var serfConfig = SerfConfig()
        serfConfig.reconnectTimeoutNanos = config.reconnectTimeoutNanoseconds
        let serf = Serf(memberlistConfig: memberlist, config: serfConfig, tags: tags, random: environment.random, now: environment.clock.now,
                        keyring: gossipKeyring(config.gossipKeys))
        let datacenter = config.datacenter
        let nodeName = config.nodeName
        let nodeID = tags["id"] ?? ""
        // Consul's LAN merge rules: agents of another datacenter, or a second node with our ID, are refused.
        serf.memberVeto = { member in
            if let role = member.tags["role"], role == "node" || role == "consul", let dc = member.tags["dc"], dc != datacenter {
                return "Member '\(member.name)' part of wrong datacenter '\(dc)'"
            }
            if let id = member.tags["id"], !id.isEmpty, id.lowercased() == nodeID.lowercased(), member.name.lowercased() != nodeName.lowercased() {
                return "Member '\(member.name)' has conflicting node ID '\(id)' with this agent's ID"
            }
            return nil
        }
        return GossipPool(serf: serf, clock: environment.clock, random: environment.random, datagrams: environment.datagrams,
                          streams: environment.network, logger: logger.named("serf.lan"),
                          verifyIncoming: config.encryptVerifyIncoming, verifyOutgoing: config.encryptVerifyOutgoing)
    }

    func startGossip() throws {
        guard let lanPool else { return }
        let bind = SocketAddress(host: config.bindAddr, port: config.ports.serfLan)
        try lanPool.start(bind: bind)
        logger.info("serf: LAN pool started", [("address", bind.description), ("node", config.nodeName),
                                                ("encrypted", lanPool.serf.keyring == nil ? "false" : "true")])
        lanPool.onEvent = { [weak self] event in self?.gossipEvent(event) }
        agentMetrics?.lan.observe(lanPool)
        let previous = restoreSerfSnapshot()
        if !previous.isEmpty {
            logger.info("serf: Attempting re-join to previously known nodes", [("nodes", previous.joined(separator: " "))])
            join(previous) { [weak self] joined, _ in
                self?.logger.info("serf: Re-joined to previously known nodes", [("num_nodes", String(joined))])
            }
        }
        scheduleSerfSnapshotFlush()
        if !config.retryJoin.isEmpty { retryJoin(attempt: 1) }
    }

    func gossipEvent(_ event: SerfEvent) {
        agentMetrics?.lan.count(event)
        if case .user = event {} else {
            if let server {
                server.membersChanged()
                floodJoinWAN()
            } else {
                clientServersChanged()
            }
        }
        let serfLogger = logger.named("serf.lan")
        switch event {
        case .memberJoin(let m): serfLogger.info("serf: EventMemberJoin", [("name", m.name), ("address", m.address.host)])
        case .memberLeave(let m): serfLogger.info("serf: EventMemberLeave", [("name", m.name), ("address", m.address.host)])
        case .memberFailed(let m): serfLogger.info("serf: EventMemberFailed", [("name", m.name), ("address", m.address.host)])
        case .memberUpdate(let m): serfLogger.info("serf: EventMemberUpdate", [("name", m.name)])
        case .memberReap(let m): serfLogger.info("serf: EventMemberReap", [("name", m.name)])
        case .user(let name, let payload, let ltime, _):
            serfLogger.debug("serf: user event", [("name", name)])
            receiveSerfUserEvent(name: name, payload: payload, ltime: ltime)
        }
    }

    /// `retry_join`: try every address; on failure wait `retry_interval` (30 s) and try again,
    /// at most `retry_max` times (0 = forever), after which the agent exits with an error.
    func retryJoin(attempt: Int) {
        let addresses = config.retryJoin
        logger.info("Joining cluster...", [("cluster", "LAN"), ("addresses", addresses.joined(separator: " "))])
        join(addresses) { [weak self] joined, errors in
            guard let self else { return }
            if joined > 0 {
                self.logger.info("Join cluster completed. Synced with initial agents", [("cluster", "LAN"), ("num_agents", String(joined))])
                return
            }
            self.logger.warn("Join cluster failed, will retry", [("cluster", "LAN"), ("retry_interval", GoDuration.format(Int64(self.config.retryIntervalNanoseconds))),
                                                                  ("error", errors.joined(separator: "; "))])
            if self.config.retryMax > 0 && attempt >= self.config.retryMax {
                self.logger.error("agent: Retry join is exhausted; exiting", [("cluster", "LAN")])
                self.onFatal("Retry join is exhausted")
                return
            }
            self.environment.clock.schedule(after: self.config.retryIntervalNanoseconds) { [weak self] in
                self?.retryJoin(attempt: attempt + 1)
            }
        }
    }

    /// Resolves each `host`, `host:port` or `[v6]:port` (default port: our serf LAN port) and
    /// joins through all that resolved. `completion(joined, errors)`.
    public func join(_ addresses: [String], completion: @escaping (Int, [String]) -> Void) {
        guard let lanPool else { return completion(0, ["gossip is disabled (serf_lan port < 1)"]) }
        var resolved: [SocketAddress] = []
        var errors: [String] = []
        var outstanding = addresses.count
        let finish = {
            guard outstanding == 0 else { return }
            if resolved.isEmpty { return completion(0, errors) }
            lanPool.join(resolved) { joined, joinErrors in completion(joined, errors + joinErrors) }
        }
        if addresses.isEmpty { return finish() }
        for address in addresses {
            let (host, port) = splitJoinAddress(address, defaultPort: config.ports.serfLan)
            environment.resolver.resolve(host: host) { result in
                switch result {
                case .success(let ips) where !ips.isEmpty: resolved.append(SocketAddress(host: ips[0], port: port))
                case .success: errors.append("\(address): no addresses")
                case .failure(let error): errors.append("\(address): \(error.message)")
                }
                outstanding -= 1
                finish()
            }
        }
    }

    /// Graceful gossip leave (intent, then memberlist dead-self), bounded; then `completion`.
    public func leaveGossip(completion: @escaping () -> Void) {
        guard let lanPool, !gossipLeft else { return completion() }
        gossipLeft = true
        let leaveRaft = server?.leaveRaft ?? { done in done() }
        leaveRaft { [weak self] in
            self?.logger.info("agent: Gracefully leaving the LAN pool")
            lanPool.leave { [weak self] in
                // The snapshot remembers the leave, so a restart does not silently rejoin.
                guard let self else { return completion() }
                let finish = { self.writeSerfSnapshot(left: true) { _ in completion() } }
                if let wan = self.wanPool { wan.leave(completion: finish) } else { finish() }
            }
        }
    }

    var gossipMembers: [MemberInfo] {
        guard let lanPool else { return [localMember] }
        return lanPool.serf.members.map { member in
            MemberInfo(name: member.name, address: member.address.host, port: member.address.port,
                       tags: member.tags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                       status: member.status.rawValue)
        }
    }

    public func join(address: String, wan: Bool, completion: @escaping (HTTPResponseError?) -> Void) {
        let joinPool = wan ? joinWAN : join
        joinPool([address]) { joined, errors in
            completion(joined > 0 ? nil : HTTPResponseError(500, errors.first ?? "Failed to join \(address)"))
        }
    }

    public func forceLeave(node: String, prune: Bool, wan: Bool) -> HTTPResponseError? {
        let missing = HTTPResponseError(500, "agent: No node found with name '\(node)'")
        if wan { return wanPool?.forceLeave(node, prune: prune) == true ? nil : missing }
        // Without -wan, Consul also tries the WAN pool (as `<node>.<dc>` or the given name).
        let lan = lanPool?.forceLeave(node, prune: prune) == true
        let wanHit = wanPool?.forceLeave(node, prune: prune) == true
        return lan || wanHit ? nil : missing
    }
}

/// "h", "h:p", "[v6]:p", "v6" → host and port.
func splitJoinAddress(_ address: String, defaultPort: Int) -> (String, Int) {
    if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
        let host = String(address[address.index(after: address.startIndex)..<close])
        let rest = address[address.index(after: close)...]
        if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) { return (host, port) }
        return (host, defaultPort)
    }
    let colons = address.filter { $0 == ":" }.count
    if colons == 1, let idx = address.firstIndex(of: ":"), let port = Int(address[address.index(after: idx)...]) {
        return (String(address[..<idx]), port)
    }
    return (address, defaultPort)
}
