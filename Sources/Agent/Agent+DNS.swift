import Config
import DNS
import Platform
import Server

/// The agent's DNS interface, and where each query is answered:
/// - names outside our domains: the recursors (REFUSED when there are none);
/// - on a server: its own replica (a stale read, Consul's default `dns_config.allow_stale`),
///   and names of another datacenter by one of that datacenter's servers over the RPC;
/// - on a client: a server of ours over the RPC (a client keeps no replica), asynchronously,
///   so the loop never waits on the round trip.
/// Only answers from this agent's own replica are cached (the cache follows its catalog
/// generation; it cannot see another agent's).
extension Agent {
    /// The DNS responder's settings from the agent's `domain`, `recursors` and `dns_config`.
    static func dnsConfig(_ c: AgentConfig) -> DNSConfig {
        var d = DNSConfig()
        d.domain = c.domain
        d.altDomain = c.altDomain
        d.nodeTTL = c.dns.nodeTTLSeconds
        d.serviceTTL = c.dns.serviceTTLSeconds
        d.onlyPassing = c.dns.onlyPassing
        d.udpAnswerLimit = c.dns.udpAnswerLimit
        d.aRecordLimit = c.dns.aRecordLimit
        d.enableTruncate = c.dns.enableTruncate
        d.disableCompression = c.dns.disableCompression
        d.enableAdditionalNodeMetaTXT = c.dns.nodeMetaTXT
        d.soaRefresh = c.dns.soaRefresh
        d.soaRetry = c.dns.soaRetry
        d.soaExpire = c.dns.soaExpire
        d.soaMinTTL = c.dns.soaMinTTL
        d.recursorsConfigured = !c.recursors.isEmpty
        return d
    }

    /// The responder always exists (servers answer their clients' DNS over the RPC even with
    /// their own DNS port off); the listener only when `ports.dns` is on.
    func startDNS() throws {
        dnsResponder = ConsulDNSResponder(config: Agent.dnsConfig(config),
                                          lookup: DNSCatalogLookup(store: backend.store, datacenter: config.datacenter))
        let clock = environment.clock
        dnsRecursor = DNSRecursor(recursors: config.recursors.compactMap(parseRecursor).map { SocketAddress(host: $0.host, port: $0.port) },
                                  timeoutNanoseconds: config.dns.recursorTimeoutNanoseconds, clock: clock,
                                  datagrams: environment.datagrams, streams: environment.network, random: environment.random)
        dnsRecursor?.randomOrder = config.dns.recursorStrategy == "random"
        guard config.ports.dns > 0 else { return }
        let store = backend.store
        // A client's cache (only with `use_cache`) holds the servers' answers for `cache_max_age`:
        // its stamp moves once per age window; its own store never changes.
        let window = max(UInt64(1_000_000_000), config.dns.cacheMaxAgeNanoseconds)
        let stamp = backend is ClientBackend
            ? { DNSAnswerCache.Stamp(generation: 0, second: Int64(UInt64(clock.wallClockNanoseconds) / window)) }
            : { DNSAnswerCache.Stamp(generation: store.catalogGeneration, second: clock.wallClockNanoseconds / 1_000_000_000) }
        let listener = DNSListener(stamp: stamp) { [unowned self] query, overTCP, reply in
            self.answerDNS(query, overTCP: overTCP, recurse: true, reply: reply)
        }
        for host in config.effectiveDNSAddrs {
            let address = SocketAddress(host: host, port: config.ports.dns)
            try listener.listen(on: address, datagrams: environment.datagrams, streams: environment.network)
            logger.info("Started DNS server", [("address", address.description), ("network", "udp+tcp")])
        }
        dnsListener = listener
    }

    /// Answers one query; `reply(answer, cacheable)`. `recurse`: names we do not own may go to
    /// our recursors (not for queries other agents sent us over the RPC).
    /// `needsLeader`: the asking client does not allow stale answers.
    func answerDNS(_ query: [UInt8], overTCP: Bool, recurse: Bool, needsLeader: Bool = false,
                   reply: @escaping ([UInt8]?, Bool) -> Void) {
        let route = dnsResponder.route(packet: query)
        var reply = reply
        // `dns.ptr_query` for reverse names, `dns.domain_query` for the rest of our domain.
        if route != .outside {
            let timer = route == .reverse ? agentMetrics.dnsPTRQuery : agentMetrics.dnsDomainQuery
            let started = environment.clock.now.nanoseconds
            let answer = reply
            reply = { [clock = environment.clock] bytes, cacheable in
                timer.observe(nanoseconds: clock.now.nanoseconds &- started)
                answer(bytes, cacheable)
            }
        }
        if let client = backend as? ClientBackend, route != .outside {
            return askServerDNS(client, query, overTCP: overTCP) { [weak self] answer in
                guard let self else { return }
                // A reverse name no node has is the recursors' (Consul's PTR fallback).
                if recurse, route == .reverse, !self.dnsRecursor.recursors.isEmpty, let answer, answer.count > 3, answer[3] & 0x0F == 3 {
                    return self.recurseDNS(query, reply)
                }
                reply(answer.map { self.withRecursionAvailable($0) }, self.config.dns.useCache)
            }
        }
        if needsLeader || !dnsStale, let server, let leader = server.leaderRPCAddress, server.raftNode.raft.role != .leader,
           route != .outside {
            // `allow_stale = false`, or our leader contact is older than `max_stale`: the leader answers.
            return askDNS(leader, query, overTCP: overTCP, answerThere: true, reply: reply)
        }
        if case .datacenter(let dc) = route, let server = remoteServer(in: dc) {
            return askDNS(server, query, overTCP: overTCP, answerThere: false, reply: reply)
        }
        if route == .local, let name = dnsResponder.preparedQueryName(packet: query),
           answerFailingOver(name, query, overTCP: overTCP, reply: reply) {
            return
        }
        var random = AgentRandom(source: environment.random)
        let now = environment.clock.wallClockNanoseconds / 1_000_000_000
        guard recurse else {
            return reply(dnsResponder.respond(to: query, overTCP: overTCP, now: now, random: &random), true)
        }
        switch dnsResponder.handle(packet: query, overTCP: overTCP, now: now, random: &random) {
        case .answer(let bytes): reply(bytes, true)
        case .forward: recurseDNS(query, reply)
        }
    }

    /// A DNS query a client agent (or a server of another datacenter) sent us over the RPC.
    /// Flags: 1 = asked over TCP, 2 = answer here (sent to the leader; never forwarded again),
    /// 4 = the asking client does not allow stale answers.
    func handleDNSRPC(_ body: [UInt8], reply: @escaping (RPCResponse) -> Void) {
        guard let flags = body.first else { return reply(.error(code: .badRequest, message: "empty DNS query")) }
        let query = Array(body.dropFirst())
        let respondHere = { (answer: [UInt8]?, _: Bool) in reply(.ok(answer ?? [])) }
        if flags & 2 != 0 {
            var random = AgentRandom(source: environment.random)
            let now = environment.clock.wallClockNanoseconds / 1_000_000_000
            return respondHere(dnsResponder.respond(to: query, overTCP: flags & 1 != 0, now: now, random: &random), false)
        }
        answerDNS(query, overTCP: flags & 1 != 0, recurse: false, needsLeader: flags & 4 != 0, reply: respondHere)
    }

    /// Whether this server may answer from its replica: `dns_config.allow_stale` (the default)
    /// and the leader heard from within `max_stale`.
    private var dnsStale: Bool {
        guard config.dns.allowStale else { return false }
        guard let raftNode = server?.raftNode, raftNode.raft.role != .leader else { return true }
        guard let lastContact = raftNode.lastContactMilliseconds else { return false }
        return lastContact * 1_000_000 <= config.dns.maxStaleNanoseconds
    }

    /// Sends a query to another server (of ours or another datacenter's) and relays its answer.
    private func askDNS(_ server: SocketAddress, _ query: [UInt8], overTCP: Bool, answerThere: Bool,
                        reply: @escaping ([UInt8]?, Bool) -> Void) {
        guard let rpc = self.server?.rpc else { return reply(ConsulDNSResponder.servFail(for: query), false) }
        let flags: UInt8 = (overTCP ? 1 : 0) | (answerThere ? 2 : 0)
        let request = RPCRequest(method: .dnsQuery, deadlineMilliseconds: 3000, body: [flags] + query)
        rpc.call(server, request, timeoutNanos: 3_000_000_000) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let answer) where !answer.isEmpty: reply(self.withRecursionAvailable(answer), false)
            case .success: reply(nil, false)
            case .failure: reply(ConsulDNSResponder.servFail(for: query), false)
            }
        }
    }

    /// A prepared query with no instance here fails over as `/execute` does (its NearestN and
    /// listed datacenters, asked in turn); the answer comes once they replied. False when the
    /// query has instances here (or does not exist): the ordinary, cacheable path answers.
    private func answerFailingOver(_ name: String, _ query: [UInt8], overTCP: Bool,
                                   reply: @escaping ([UInt8]?, Bool) -> Void) -> Bool {
        let store = backend.store
        guard let prepared = store.resolvePreparedQuery(name), store.executePreparedQuery(prepared).rows.isEmpty,
              prepared.failoverNearestN > 0 || !prepared.failoverDatacenters.isEmpty else { return false }
        api.preparedQueryResults(prepared, localRows: []) { [weak self] rows, _, _ in
            guard let self else { return }
            let result = (instances: rows.map(DNSCatalogLookup.instance), service: prepared.service,
                          ttl: DNSCatalogLookup.dnsTTL(of: prepared))
            let responder = ConsulDNSResponder(config: self.dnsResponder.config,
                                               lookup: FailedOverQueryLookup(base: self.dnsResponder.lookup, name: name, result: result))
            var random = AgentRandom(source: self.environment.random)
            let now = self.environment.clock.wallClockNanoseconds / 1_000_000_000
            reply(responder.respond(to: query, overTCP: overTCP, now: now, random: &random), false)
        }
        return true
    }

    private func askServerDNS(_ client: ClientBackend, _ query: [UInt8], overTCP: Bool, completion: @escaping ([UInt8]?) -> Void) {
        let flags: UInt8 = (overTCP ? 1 : 0) | (config.dns.allowStale ? 0 : 4)
        let request = RPCRequest(method: .dnsQuery, deadlineMilliseconds: 3000, body: [flags] + query)
        client.call(request, deadline: environment.clock.now.adding(nanoseconds: 3_000_000_000)) { result in
            switch result {
            case .success(let answer) where !answer.isEmpty: completion(answer)
            case .success: completion(nil)
            case .failure: completion(ConsulDNSResponder.servFail(for: query))
            }
        }
    }

    private func recurseDNS(_ query: [UInt8], _ reply: @escaping ([UInt8]?, Bool) -> Void) {
        dnsRecursor.forward(query) { answer in reply(answer ?? ConsulDNSResponder.servFail(for: query), false) }
    }

    /// The RA flag says whether *this* agent recurses, whoever composed the answer.
    private func withRecursionAvailable(_ answer: [UInt8]) -> [UInt8] {
        guard answer.count > 3 else { return answer }
        var copy = answer
        copy[3] = !dnsRecursor.recursors.isEmpty ? copy[3] | 0x80 : copy[3] & 0x7F
        return copy
    }
}
