import Wire
import ConsulAPI

/// Network coordinates the agents reported (Consul's coordinates table): one per node, written
/// through Raft in batches; an update for a node the catalog does not have is dropped, and a
/// node's coordinate goes when the node is deregistered.
struct CoordinateTable {
    var index: UInt64 = 0
    var byNode: [String: NodeCoordinate] = [:]
}

extension StateStore {
    /// Index of the last change to any coordinate (`X-Consul-Index` of the coordinate reads).
    public var coordinatesIndex: UInt64 { coordinates.index }

    /// Every node's coordinate, by node name.
    public func allCoordinates() -> [NodeCoordinate] {
        coordinates.byNode.values.sorted { $0.node < $1.node }
    }

    public func coordinate(of node: String) -> NodeCoordinate? { coordinates.byNode[node] }

    func applyCoordinates(_ updates: [NodeCoordinate], at index: UInt64, woken: inout [() -> Void]) -> CommandResult {
        var changed = false
        for update in updates where catalog.nodes[update.node] != nil && update.validationError == nil {
            coordinates.byNode[update.node] = update
            changed = true
        }
        if changed { coordinatesChanged(at: index, woken: &woken) }
        return .bool(true)
    }

    /// A deregistered node takes its coordinate with it.
    func removeCoordinate(of node: String, at index: UInt64, woken: inout [() -> Void]) {
        guard coordinates.byNode.removeValue(forKey: node) != nil else { return }
        coordinatesChanged(at: index, woken: &woken)
    }

    private func coordinatesChanged(at index: UInt64, woken: inout [() -> Void]) {
        coordinates.index = index
        woken += watches.fire(.coordinates)
    }
}

extension NodeCoordinate {
    func encode(into w: inout ByteWriter) {
        w.string(node)
        w.u32(UInt32(vec.count))
        for v in vec { w.u64(v.bitPattern) }
        w.u64(error.bitPattern); w.u64(adjustment.bitPattern); w.u64(height.bitPattern)
    }

    static func decode(from r: inout StateReader) throws(DecodeError) -> NodeCoordinate {
        let node = try r.string()
        let count = try r.u32()
        guard count <= 64 else { throw DecodeError("coordinate with \(count) dimensions") }
        var vec: [Double] = []
        for _ in 0..<count { vec.append(Double(bitPattern: try r.u64())) }
        return NodeCoordinate(node: node, vec: vec, error: Double(bitPattern: try r.u64()),
                              adjustment: Double(bitPattern: try r.u64()), height: Double(bitPattern: try r.u64()))
    }
}
