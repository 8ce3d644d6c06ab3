import ConsulAPI
import ConsulState
import HTTPAPI
import Platform

/// Copies the agent's local services and checks into the catalog: right after every local
/// change, and periodically (Consul's 1-minute interval with a random stagger) to repair drift.
/// Today it applies through the local backend (dev and single-server); with the server RPC the
/// same registrations go to the servers — this class is that seam.
final class AntiEntropy {
    private let local: LocalState
    private let backend: ConsulBackend
    private let clock: EventLoopClock
    private let random: RandomSource
    private let nodeRecord: () -> CatalogNode
    /// Catalog entries the agent itself owns besides local registrations (serfHealth, consul).
    private let builtIn: () -> (services: [NodeService], checks: [HealthCheck])
    private let logger: Logger
    private var scheduled = false
    private var inFlight = 0
    private var dirty = false
    private var periodic: TimerHandle?
    /// Tags of each service as this agent last wrote them to the catalog (EnableTagOverride).
    private var pushedTags: [String: [String]] = [:]
    static let intervalNanoseconds: UInt64 = 60_000_000_000

    init(local: LocalState, backend: ConsulBackend, clock: EventLoopClock, random: RandomSource, logger: Logger,
         nodeRecord: @escaping () -> CatalogNode, builtIn: @escaping () -> (services: [NodeService], checks: [HealthCheck])) {
        self.local = local
        self.backend = backend
        self.clock = clock
        self.random = random
        self.logger = logger
        self.nodeRecord = nodeRecord
        self.builtIn = builtIn
    }

    func start() {
        trigger()
        schedulePeriodic()
    }

    func stop() {
        periodic?.cancel()
        periodic = nil
    }

    /// Coalesces bursts of changes into one sync on the next loop turn.
    func trigger() {
        guard !scheduled else { return }
        scheduled = true
        clock.schedule(after: 0) { [weak self] in
            guard let self else { return }
            self.scheduled = false
            self.sync()
        }
    }

    private func schedulePeriodic() {
        let stagger = random.next(below: AntiEntropy.intervalNanoseconds / 4)
        periodic = clock.schedule(after: AntiEntropy.intervalNanoseconds + stagger) { [weak self] in
            self?.sync()
            self?.schedulePeriodic()
        }
    }

    /// Registers what differs and deregisters what the catalog has that the agent does not.
    func sync() {
        if inFlight > 0 { dirty = true; return }
        let store = backend.store
        let node = nodeRecord()
        let (catalogNode, catalogServices, _) = store.catalogNode(node.node)
        let catalogChecks = Dictionary(store.nodeChecks(node.node).checks.map { ($0.checkID, $0) }, uniquingKeysWith: { a, _ in a })
        let (extraServices, extraChecks) = builtIn()
        // EnableTagOverride: tags someone else changed in the catalog (they differ from what we
        // last pushed) are adopted locally, as Consul's sync does; but a local re-registration
        // not pushed yet (its tags differ from what we last pushed) wins and is pushed at once.
        for s in catalogServices {
            guard let mine = local.services[s.id], mine.enableTagOverride, mine.tags != s.tags,
                  let pushed = pushedTags[s.id], pushed == mine.tags, s.tags != pushed else { continue }
            var adopted = mine
            adopted.tags = s.tags
            pushedTags[s.id] = s.tags
            local.addService(adopted)
        }
        var wantedServices = local.services
        for s in extraServices { wantedServices[s.id] = s }
        var wantedChecks = local.checks
        for c in extraChecks { wantedChecks[c.checkID] = c }

        var commands: [Command] = []
        let nodeChanged = catalogNode.map { !$0.sameContent(as: withIndexes(node, from: $0)) } ?? true
        let servicesByID = Dictionary(catalogServices.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (id, s) in wantedServices.sorted(by: { $0.key < $1.key }) {
            let inCatalog = servicesByID[id]
            let serviceChecks = wantedChecks.values.filter { $0.serviceID == id }.sorted { $0.checkID < $1.checkID }
            let checksDiffer = serviceChecks.contains { c in catalogChecks[c.checkID].map { !$0.sameContent(as: stamped(c, node: node.node)) } ?? true }
            if inCatalog == nil || !inCatalog!.sameContent(as: s) || checksDiffer {
                var r = RegisterRequest()
                r.node = node
                r.service = s
                r.checks = serviceChecks
                commands.append(.catalogRegister(r))
            }
        }
        let nodeChecks = wantedChecks.values.filter { $0.serviceID.isEmpty }.sorted { $0.checkID < $1.checkID }
        let nodeChecksDiffer = nodeChecks.contains { c in catalogChecks[c.checkID].map { !$0.sameContent(as: stamped(c, node: node.node)) } ?? true }
        if nodeChanged || nodeChecksDiffer {
            var r = RegisterRequest()
            r.node = node
            r.checks = nodeChecks
            commands.insert(.catalogRegister(r), at: 0)
        }
        for s in catalogServices where wantedServices[s.id] == nil {
            commands.append(.catalogDeregister(DeregisterRequest(node: node.node, serviceID: s.id)))
        }
        for id in catalogChecks.keys.sorted() where wantedChecks[id] == nil {
            commands.append(.catalogDeregister(DeregisterRequest(node: node.node, checkID: id)))
        }
        guard !commands.isEmpty else { return }
        inFlight = commands.count
        for command in commands {
            backend.apply(command) { [weak self] result in
                guard let self else { return }
                if case .success(.bool) = result, case .catalogRegister(let r) = command, let service = r.service {
                    self.pushedTags[service.id] = service.tags
                }
                if case .failure(let e) = result { self.logger.debug("anti-entropy sync failed; will retry", [("error", e.message)]) }
                if case .success(.failure(let reason)) = result { self.logger.warn("catalog refused registration", [("error", reason)]) }
                self.inFlight -= 1
                if self.inFlight == 0 && self.dirty {
                    self.dirty = false
                    self.trigger()
                }
            }
        }
    }

    private func withIndexes(_ n: CatalogNode, from existing: CatalogNode) -> CatalogNode {
        var copy = n
        copy.createIndex = existing.createIndex
        copy.modifyIndex = existing.modifyIndex
        return copy
    }

    /// A local check as the catalog stores it (node set, service name/tags filled).
    private func stamped(_ c: HealthCheck, node: String) -> HealthCheck {
        var copy = c
        copy.node = node
        return copy
    }
}
