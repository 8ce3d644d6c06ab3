import Wire
import Config
import ConsulAPI
import Gossip
import HTTP1
import HTTPAPI
import Platform
import Server

/// Servers also gossip in the WAN pool (`<node>.<dc>` on the serf WAN port), which is how they
/// find the servers of other datacenters: `/v1/catalog/datacenters`, `members -wan`,
/// `join -wan`, and requests with `?dc=<other>` forwarded to a server of that datacenter.
extension Agent {
    static func makeWANPool(config: AgentConfig, tags: [String: String], environment: AgentEnvironment, logger: Logger) -> GossipPool? {
        guard config.server, config.ports.serfWan > 0, let ip = IPText.bytes(config.effectiveAdvertiseAddr) else { return nil }
        var memberlist = MemberlistConfig.wan(name: "\(config.nodeName).\(config.datacenter)", addr: ip, port: UInt16(config.ports.serfWan))
        if config.devMode {
            memberlist.gossipIntervalNanos = 100_000_000
            memberlist.probeIntervalNanos = 100_000_000
            memberlist.probeTimeoutNanos = 100_000_000
            memberlist.suspicionMult = 3
        }
        var wanTags = tags
        wanTags["wan_join_port"] = nil
        var serfConfig = SerfConfig()
        serfConfig.reconnectTimeoutNanos = config.reconnectTimeoutWANNanoseconds
        let serf = Serf(memberlistConfig: memberlist, config: serfConfig, tags: wanTags, random: environment.random, now: environment.clock.now,
                        keyring: gossipKeyring(config.gossipKeys))
        // Consul's WAN merge rule: only servers.
        serf.memberVeto = { member in
            member.tags["role"] == "consul" ? nil : "Member '\(member.name)' is not a server"
        }
        return GossipPool(serf: serf, clock: environment.clock, random: environment.random, datagrams: environment.datagrams,
                          streams: environment.network, logger: logger.named("serf.wan"),
                          verifyIncoming: config.encryptVerifyIncoming, verifyOutgoing: config.encryptVerifyOutgoing)
    }

    func startWAN() throws {
        guard let wanPool else { return }
        wanPool.onEvent = { [weak self] event in self?.agentMetrics?.wan.count(event) }
        agentMetrics?.wan.observe(wanPool)
        let bind = SocketAddress(host: config.bindAddr, port: config.ports.serfWan)
        try wanPool.start(bind: bind)
        logger.info("serf: WAN pool started", [("address", bind.description), ("node", "\(config.nodeName).\(config.datacenter)")])
        if !config.retryJoinWAN.isEmpty { retryJoinWAN(attempt: 1) }
        scheduleWANFloodJoin()
    }

    /// Flood joins also run on a timer, so a join that failed is tried again (Consul: every 60 s).
    private func scheduleWANFloodJoin() {
        environment.clock.schedule(after: 10_000_000_000) { [weak self] in
            guard let self, !self.stopping else { return }
            self.floodJoinWAN()
            self.scheduleWANFloodJoin()
        }
    }

    func retryJoinWAN(attempt: Int) {
        joinWAN(config.retryJoinWAN) { [weak self] joined, errors in
            guard let self, joined == 0 else { return }
            self.logger.warn("Join cluster failed, will retry", [("cluster", "WAN"), ("error", errors.joined(separator: "; "))])
            if self.config.retryMaxWAN > 0 && attempt >= self.config.retryMaxWAN { return }
            self.environment.clock.schedule(after: self.config.retryIntervalWANNanoseconds) { [weak self] in
                self?.retryJoinWAN(attempt: attempt + 1)
            }
        }
    }

    func joinWAN(_ addresses: [String], completion: @escaping (Int, [String]) -> Void) {
        guard let wanPool else { return completion(0, ["WAN gossip is only available on servers"]) }
        var resolved: [SocketAddress] = []
        var errors: [String] = []
        var outstanding = addresses.count
        if addresses.isEmpty { return completion(0, []) }
        for address in addresses {
            let (host, port) = splitJoinAddress(address, defaultPort: config.ports.serfWan)
            environment.resolver.resolve(host: host) { result in
                switch result {
                case .success(let ips) where !ips.isEmpty: resolved.append(SocketAddress(host: ips[0], port: port))
                case .success: errors.append("\(address): no addresses")
                case .failure(let error): errors.append("\(address): \(error.message)")
                }
                outstanding -= 1
                guard outstanding == 0 else { return }
                if resolved.isEmpty { return completion(0, errors) }
                wanPool.join(resolved) { joined, more in completion(joined, errors + more) }
            }
        }
    }

    public var wanMembers: [MemberInfo] {
        guard let wanPool else { return [] }
        return wanPool.serf.members.map { member in
            MemberInfo(name: member.name, address: member.address.host, port: member.address.port,
                       tags: member.tags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, status: member.status.rawValue)
        }
    }

    /// Every datacenter the WAN pool knows (alive servers) and ours, nearest first: by the median
    /// estimated round trip from our WAN coordinate to that datacenter's servers (ours counts
    /// itself at 0), then by name — Consul's `GetDatacentersByDistance`.
    public var knownDatacenters: [String] {
        guard let wanPool else { return [config.datacenter] }
        let me = "\(config.nodeName).\(config.datacenter)"
        let mine = wanPool.serf.vivaldi.coordinate
        var rtts: [String: [Double]] = [config.datacenter: [0]]
        for member in wanPool.serf.members where member.status == .alive && member.name != me {
            guard let dc = member.tags["dc"] else { continue }
            // A server we have no coordinate for yet counts as far away (Consul: +Inf).
            let rtt = wanPool.serf.peerCoordinates[member.name].map { mine.distance(to: $0) } ?? .infinity
            rtts[dc, default: []].append(rtt)
        }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted[sorted.count / 2]
        }
        return rtts.map { ($0.key, median($0.value)) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map(\.0)
    }

    /// Consul's WAN flood join: every server joins the WAN addresses of the other servers of its
    /// datacenter (learned from their LAN tags), so once any one of them is federated all are.
    /// Runs on LAN member events and on the maintenance tick; one join per server in flight.
    func floodJoinWAN() {
        guard let wanPool, let lanPool else { return }
        let known = Set(wanPool.serf.members.map(\.name))
        for member in lanPool.serf.members where member.status == .alive && member.name != config.nodeName {
            guard member.tags["role"] == "consul", member.tags["dc"] == config.datacenter,
                  let port = member.tags["wan_join_port"].flatMap(Int.init) else { continue }
            let wanName = "\(member.name).\(config.datacenter)"
            guard !known.contains(wanName), !wanFloodJoinsInFlight.contains(wanName) else { continue }
            wanFloodJoinsInFlight.insert(wanName)
            let address = SocketAddress(host: member.address.host, port: port)
            wanPool.join([address]) { [weak self] joined, errors in
                guard let self else { return }
                self.wanFloodJoinsInFlight.remove(wanName)
                if joined > 0 {
                    self.logger.info("Added WAN server", [("server", wanName), ("address", address.description)])
                } else {
                    self.logger.debug("WAN flood join failed", [("server", wanName), ("error", errors.joined(separator: "; "))])
                }
            }
        }
    }

    /// A server's RPC address in another datacenter, from the WAN pool (random among the alive).
    func remoteServer(in datacenter: String) -> SocketAddress? {
        let candidates = (wanPool?.serf.members ?? []).filter { $0.status == .alive && $0.tags["dc"] == datacenter }
            .compactMap { m in m.tags["port"].flatMap(Int.init).map { SocketAddress(host: m.address.host, port: $0) } }
        guard !candidates.isEmpty else { return nil }
        return candidates[Int(environment.random.next(below: UInt64(candidates.count)))]
    }

    /// Every HTTP request (and every one a client forwarded to us) goes through here: another
    /// datacenter's requests go to one of its servers, a client's non-agent requests to a
    /// server of ours, the rest to the local API.
    func dispatchHTTP(_ request: HTTPRequest, _ responder: Responder) {
        let request = resolvingNearAgent(request)
        let dc = request.query["dc"] ?? ""
        if config.server, !dc.isEmpty, dc != config.datacenter, Agent.forwardsToServer(request.path) {
            guard let rpc = server?.rpc, let remote = remoteServer(in: dc) else { return responder.respond(.text(500, "No path to datacenter")) }
            let call = RPCRequest(method: .forwardHTTP, deadlineMilliseconds: 0, body: ForwardedHTTP.encode(request))
            rpc.call(remote, call, timeoutNanos: ForwardedHTTP.timeoutNanoseconds(for: request)) { result in
                switch result {
                case .success(let body): responder.respond((try? ForwardedHTTP.decodeResponse(body)) ?? .text(500, "malformed response from remote datacenter"))
                case .failure(let e): responder.respond(.text(500, e.description))
                }
            }
            return
        }
        if let client = backend as? ClientBackend, Agent.forwardsToServer(request.path) {
            return client.forward(request) { responder.respond($0) }
        }
        api.handle(request, responder)
    }
}

extension Agent {
    /// `?near=_agent` means the agent the request came in through: name it before the request
    /// is forwarded to a server (which would otherwise sort from itself).
    func resolvingNearAgent(_ request: HTTPRequest) -> HTTPRequest {
        guard request.query["near"] == "_agent" else { return request }
        let path = String(request.target.prefix { $0 != "?" })
        let items = request.rawQuery.split(separator: "&", omittingEmptySubsequences: false)
            .map { $0 == "near=_agent" ? "near=" + percentEncode(config.nodeName, keep: "") : String($0) }
        let target = path + "?" + items.joined(separator: "&")
        // The target is the request's own with one query value replaced, so it parses as the
        // original did; if it somehow did not, the request goes on as asked.
        return (try? HTTPRequest(method: request.method, target: target, headers: request.headers, body: request.body)) ?? request
    }
}

/// Coordinates from the gossip pools (LAN for nodes, WAN for datacenters' servers).
extension Agent {
    static func nodeCoordinate(_ name: String, _ c: Coordinate) -> NodeCoordinate {
        NodeCoordinate(node: name, vec: c.vec, error: c.error, adjustment: c.adjustment, height: c.height)
    }

    public var localCoordinate: NodeCoordinate? {
        lanPool.map { Agent.nodeCoordinate(config.nodeName, $0.serf.vivaldi.coordinate) }
    }

    public var lanCoordinates: [NodeCoordinate] {
        guard let lanPool else { return [] }
        var out = [Agent.nodeCoordinate(config.nodeName, lanPool.serf.vivaldi.coordinate)]
        for member in lanPool.serf.members where member.name != config.nodeName && member.status == .alive {
            if let c = lanPool.serf.peerCoordinates[member.name] { out.append(Agent.nodeCoordinate(member.name, c)) }
        }
        return out.sorted { $0.node < $1.node }
    }

    public var wanCoordinates: [(String, [NodeCoordinate])] {
        guard let wanPool else { return [] }
        var byDC: [String: [NodeCoordinate]] = [:]
        let me = "\(config.nodeName).\(config.datacenter)"
        byDC[config.datacenter, default: []].append(Agent.nodeCoordinate(me, wanPool.serf.vivaldi.coordinate))
        for member in wanPool.serf.members where member.name != me && member.status == .alive {
            guard let dc = member.tags["dc"], let c = wanPool.serf.peerCoordinates[member.name] else { continue }
            byDC[dc, default: []].append(Agent.nodeCoordinate(member.name, c))
        }
        return knownDatacenters.compactMap { dc in byDC[dc].map { (dc, $0.sorted { $0.node < $1.node }) } }
    }
}
