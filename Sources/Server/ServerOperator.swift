import Config
import ConsulAPI
import Gossip
import HTTP1
import HTTPAPI
import Platform
import Raft

/// The operator surface of a server (`/v1/operator/raft/*`, `/v1/operator/autopilot/*`):
/// requests that need the leader are forwarded to it over the server RPC; membership changes
/// and leadership transfers complete once the Raft core shows their effect, bounded in time.
extension ConsulServer: OperatorAgent {
    /// Autopilot's LastContact: the leader's view of when `id` last answered (0 for itself).
    func lastContactNanos(of id: String) -> Int64 {
        guard id != nodeID else { return 0 }
        if raftNode.raft.role != .leader { return id == raftNode.raft.leader ? Int64((raftNode.lastContactMilliseconds ?? 0) * 1_000_000) : 0 }
        guard let at = raftNode.peerContact[id] else { return 0 }
        return Int64(host.clock.now.nanoseconds &- at.nanoseconds)
    }

    /// Marks a request already forwarded to the leader, so it is never forwarded twice.
    static let leaderForwardedHeader = "X-Consul-Forwarded-To-Leader"
    static let operatorPollNanos: UInt64 = 20_000_000
    static let membershipChangeTimeoutNanos: UInt64 = 10_000_000_000
    static let transferTimeoutNanos: UInt64 = 5_000_000_000

    public func routeOperatorRequest(_ request: HTTPRequest, allowStale: Bool, completion: @escaping (OperatorRoute) -> Void) {
        let clock = host.clock
        let deadline = clock.now.adding(nanoseconds: RaftBackend.holdTimeoutNanos)
        func retry() {
            guard clock.now.adding(nanoseconds: RaftBackend.retryNanos) < deadline else {
                return completion(.answered(.text(500, "No cluster leader")))
            }
            clock.schedule(after: RaftBackend.retryNanos) { attempt() }
        }
        func attempt() {
            if raftNode.raft.role == .leader || allowStale { return completion(.local) }
            guard request.headers[ConsulServer.leaderForwardedHeader] == nil, raftNode.raft.leader != nodeID,
                  let leader = leaderRPCAddress else { return retry() }
            var forwarded = request
            forwarded.headers.add(ConsulServer.leaderForwardedHeader, nodeID)
            let call = RPCRequest(method: .forwardHTTP, deadlineMilliseconds: 0, body: ForwardedHTTP.encode(forwarded))
            // Membership changes and transfers take up to their own bounds on the leader.
            rpc.call(leader, call, timeoutNanos: ConsulServer.membershipChangeTimeoutNanos + 5_000_000_000) { result in
                switch result {
                case .success(let body):
                    completion(.answered((try? ForwardedHTTP.decodeResponse(body)) ?? .text(500, "malformed response from the leader")))
                case .failure(.unreachable):
                    retry()
                case .failure(let error):
                    completion(.answered(.text(500, error.description)))
                }
            }
        }
        attempt()
    }

    // MARK: Raft configuration

    public func raftConfiguration() -> RaftConfigurationInfo {
        let raft = raftNode.raft
        let names = Dictionary(knownServers().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let servers = raft.configuration.members.map { id in
            RaftServerInfo(id: id, node: id == nodeID ? config.nodeName : names[id] ?? "(unknown)", address: raftAddress(of: id),
                           leader: id == raft.leader, voter: raft.configuration.voters.contains(id), lastIndex: lastIndex(of: id))
        }
        return RaftConfigurationInfo(servers: servers.sorted { ($0.node, $0.id) < ($1.node, $1.id) },
                                     index: latestConfigurationIndex)
    }

    /// A server's RPC address as the Raft configuration lists it.
    public func raftAddress(of id: String) -> String {
        id == nodeID ? serverAddress : serverAddresses[id]?.description ?? ""
    }

    /// The newest log index a server is known to hold: exact on the leader (its match index),
    /// our own elsewhere, and the commit index for the leader as a follower knows it.
    func lastIndex(of id: String) -> UInt64 {
        let raft = raftNode.raft
        if id == nodeID { return raft.lastIndex }
        if raft.role == .leader { return raft.matchIndex(of: id) ?? 0 }
        return id == raft.leader ? raft.commitIndex : 0
    }

    /// Index of the configuration entry in effect: the newest one in the log, else the snapshot's.
    public var latestConfigurationIndex: UInt64 {
        let raft = raftNode.raft
        var high = raft.lastIndex
        while high >= raft.firstIndex && high > 0 {
            let low = max(raft.firstIndex, high > 255 ? high - 255 : 1)
            if let entry = raft.entries(from: low, to: high).last(where: { $0.kind == .configuration }) { return entry.index }
            if low <= raft.firstIndex { break }
            high = low - 1
        }
        return raft.latestSnapshot?.index ?? 0
    }

    // MARK: Membership and leadership

    public func removeRaftPeer(_ peer: RaftPeerSelector, completion: @escaping (HTTPResponseError?) -> Void) {
        let members = raftNode.raft.configuration.members
        let id: String
        switch peer {
        case .id(let wanted):
            guard members.contains(wanted) else {
                return completion(HTTPResponseError(500, "id \"\(wanted)\" was not found in the Raft configuration"))
            }
            id = wanted
        case .address(let wanted):
            guard let match = members.sorted().first(where: { raftAddress(of: $0) == wanted }) else {
                return completion(HTTPResponseError(500, "address \"\(wanted)\" was not found in the Raft configuration"))
            }
            id = match
        }
        let deadline = host.clock.now.adding(nanoseconds: ConsulServer.membershipChangeTimeoutNanos)
        commitConfigurationChange(.remove(id), deadline: deadline) { [log] error in
            if let error {
                log.warn("failed to remove Raft peer", [("peer", id), ("error", error.reason)])
            } else {
                log.warn("removed Raft peer", [("peer", id)])
            }
            completion(error)
        }
    }

    /// Proposes `change` (waiting out a pending change or transfer) and completes once it commits.
    func commitConfigurationChange(_ change: ConfigurationChange, deadline: Instant,
                                   completion: @escaping (HTTPResponseError?) -> Void) {
        let clock = host.clock
        let raft = raftNode.raft
        switch raft.proposeConfigurationChange(change) {
        case .success(let (index, term)):
            raftNode.process()
            func poll() {
                if raft.commitIndex >= index && raft.term(at: index) == term { return completion(nil) }
                if raft.term != term || raft.role != .leader {
                    return completion(HTTPResponseError(500, "leadership lost while committing log"))
                }
                guard clock.now < deadline else { return completion(HTTPResponseError(500, "timed out enqueuing operation")) }
                clock.schedule(after: ConsulServer.operatorPollNanos) { poll() }
            }
            poll()
        case .failure(.configurationChangePending), .failure(.transferring):
            guard clock.now < deadline else { return completion(HTTPResponseError(500, "timed out enqueuing operation")) }
            clock.schedule(after: ConsulServer.operatorPollNanos) { [weak self] in
                self?.commitConfigurationChange(change, deadline: deadline, completion: completion)
            }
        case .failure(.notLeader):
            completion(HTTPResponseError(500, "node is not the leader"))
        case .failure(.invalidChange(let why)):
            completion(HTTPResponseError(500, why))
        }
    }

    public func transferLeadership(to id: String?, completion: @escaping (HTTPResponseError?) -> Void) {
        let raft = raftNode.raft
        guard raft.role == .leader else { return completion(HTTPResponseError(500, "node is not the leader")) }
        let target: String
        if let id {
            guard raft.configuration.members.contains(id) else {
                return completion(HTTPResponseError(500, "id \"\(id)\" was not found in the Raft configuration"))
            }
            guard id != nodeID else { return completion(HTTPResponseError(500, "cannot transfer leadership to itself")) }
            guard raft.configuration.voters.contains(id) else {
                return completion(HTTPResponseError(500, "cannot transfer leadership to a non-voter"))
            }
            target = id
        } else {
            // hashicorp/raft's choice: the voter with the most of our log; gossip-alive ones first.
            let alive = Set(knownServers().filter { $0.status == .alive }.map(\.id))
            let candidates = raft.configuration.voters.filter { $0 != nodeID }
            guard let best = candidates.max(by: { a, b in
                (alive.contains(a) ? 1 : 0, raft.matchIndex(of: a) ?? 0, b) < (alive.contains(b) ? 1 : 0, raft.matchIndex(of: b) ?? 0, a)
            }) else { return completion(HTTPResponseError(500, "cannot find peer")) }
            target = best
        }
        switch raft.transferLeadership(to: target) {
        case .success: break
        case .failure(let error): return completion(HTTPResponseError(500, "\(error)"))
        }
        raftNode.process()
        log.info("transferring leadership", [("to", target)])
        let clock = host.clock
        let deadline = clock.now.adding(nanoseconds: ConsulServer.transferTimeoutNanos)
        func poll() {
            if raft.role != .leader, let leader = raft.leader, leader != nodeID { return completion(nil) }
            guard clock.now < deadline else { return completion(HTTPResponseError(500, "leadership transfer timeout")) }
            clock.schedule(after: ConsulServer.operatorPollNanos) { poll() }
        }
        poll()
    }

    // MARK: Autopilot

    /// A cluster's first leader stores the `autopilot` stanza's settings in Raft when none are
    /// there yet (cas 0: never over an operator's), as Consul's leader does.
    func seedAutopilotSettings() {
        guard backend.store.autopilot == nil else { return }
        let a = config.autopilot
        var c = AutopilotConfiguration()
        c.cleanupDeadServers = a.cleanupDeadServers
        c.lastContactThresholdNanos = Int64(a.lastContactThresholdNanoseconds)
        c.maxTrailingLogs = UInt64(a.maxTrailingLogs)
        c.minQuorum = UInt64(a.minQuorum)
        c.serverStabilizationTimeNanos = Int64(a.serverStabilizationTimeNanoseconds)
        c.redundancyZoneTag = a.redundancyZoneTag
        c.disableUpgradeMigration = a.disableUpgradeMigration
        c.upgradeVersionTag = a.upgradeVersionTag
        setAutopilotConfiguration(c, cas: 0) { [log] result in
            if case .failure(let error) = result { log.warn("autopilot: storing the configured settings failed; defaults apply", [("error", error.reason)]) }
        }
    }

    /// The settings kept in Raft, or Consul's defaults until an operator sets them.
    public var autopilotConfiguration: AutopilotConfiguration {
        guard let stored = backend.store.autopilot, var c = AutopilotConfiguration.decode(json: stored.json) else {
            return AutopilotConfiguration()
        }
        c.createIndex = stored.createIndex
        c.modifyIndex = stored.modifyIndex
        return c
    }

    public func setAutopilotConfiguration(_ configuration: AutopilotConfiguration, cas: UInt64?,
                                          completion: @escaping (Result<Bool, HTTPResponseError>) -> Void) {
        backend.apply(.autopilotSet(json: configuration.encodedJSON, cas: cas)) { [log] result in
            switch result {
            case .success(.bool(let stored)):
                if stored { log.info("autopilot configuration updated") }
                completion(.success(stored))
            case .success(.failure(let reason)): completion(.failure(HTTPResponseError(500, reason)))
            case .success(.json): completion(.failure(HTTPResponseError(500, "unexpected autopilot result")))
            case .failure(let error): completion(.failure(HTTPResponseError(500, error.message)))
            }
        }
    }

    /// Autopilot's health rule (agent.md §7.4): alive in gossip and, as the leader sees it,
    /// within `MaxTrailingLogs` of its log. Last contact is not measured by the Raft core, so it
    /// is reported as 0 for servers that are alive.
    public func autopilotHealth() -> AutopilotHealthInfo {
        let raft = raftNode.raft
        let now = host.clock.wallClockNanoseconds
        let known = Dictionary(knownServers().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let maxTrailing = autopilotConfiguration.maxTrailingLogs
        let leading = raft.role == .leader
        var servers: [AutopilotServerInfo] = []
        for id in raft.configuration.members {
            let member = known[id]
            let isSelf = id == nodeID
            let serfStatus = isSelf ? "alive" : member.map { $0.status.description } ?? "none"
            let index = lastIndex(of: id)
            let caughtUp = !leading || isSelf || index + maxTrailing >= raft.lastIndex
            let healthy = serfStatus == "alive" && caughtUp && raft.leader != nil
            let prior = healthSince[id]
            let since = prior.map { $0.healthy == healthy ? $0.sinceUnixNanos : now } ?? now
            healthSince[id] = (healthy, since)
            let build = (isSelf ? "\(ConsulVersion.version):\(ConsulVersion.revision)" : member?.tags["build"]) ?? ""
            servers.append(AutopilotServerInfo(
                id: id, name: isSelf ? config.nodeName : member?.name ?? "(unknown)", address: raftAddress(of: id),
                serfStatus: serfStatus, version: String(build.prefix { $0 != ":" }), leader: id == raft.leader,
                voter: raft.configuration.voters.contains(id), lastContactNanos: lastContactNanos(of: id),
                lastTerm: healthy || isSelf ? raft.term : 0, lastIndex: index, healthy: healthy, stableSinceUnixNanos: since))
        }
        for id in Array(healthSince.keys) where !raft.configuration.members.contains(id) { healthSince[id] = nil }
        let voters = raft.configuration.voters
        let healthyVoters = servers.filter { $0.voter && $0.healthy }.count
        let tolerance = max(0, healthyVoters - (voters.count / 2 + 1))
        return AutopilotHealthInfo(healthy: servers.allSatisfy(\.healthy), failureTolerance: tolerance,
                                   optimisticFailureTolerance: tolerance, leader: raft.leader ?? "",
                                   voters: voters.sorted(), servers: servers.sorted { $0.name < $1.name })
    }
}
