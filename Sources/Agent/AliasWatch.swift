import ConsulAPI
import ConsulState

/// Alias checks' source: the target's checks as the local catalog replica holds them, pushed
/// to the alias again whenever that node's (or service's) catalog entries change.
final class CatalogAliasSubscription: AliasSubscription {
    private let store: StateStore
    private let target: AliasTarget
    private let onChange: (AliasSnapshot) -> Void
    private var token: WatchToken?
    private var cancelled = false

    init(store: StateStore, target: AliasTarget, defaultNode: String, onChange: @escaping (AliasSnapshot) -> Void) {
        self.store = store
        self.target = AliasTarget(node: target.node.isEmpty ? defaultNode : target.node, serviceID: target.serviceID)
        self.onChange = onChange
        publish()
    }

    func cancel() {
        cancelled = true
        if let token { store.watches.cancel(token) }
        token = nil
    }

    private func publish() {
        guard !cancelled else { return }
        let (_, services, _) = store.catalogNode(target.node)
        let checks = store.nodeChecks(target.node).checks.filter { target.serviceID.isEmpty || $0.serviceID == target.serviceID || $0.serviceID.isEmpty }
        let snapshot = AliasSnapshot(
            checks: checks.map { AliasedCheck(node: $0.node, checkID: $0.checkID, name: $0.name, status: $0.status,
                                              output: $0.output, serviceID: $0.serviceID) },
            serviceExists: target.serviceID.isEmpty || services.contains { $0.id == target.serviceID })
        token = store.watches.register([.node(target.node)]) { [weak self] in self?.publish() }
        onChange(snapshot)
    }
}
