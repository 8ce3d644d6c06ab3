import ConsulAPI
import HTTP1

/// `?near=<node>` (or `_agent`): results ordered by the network distance the Vivaldi
/// coordinates predict from that node; rows whose node has no coordinate go last; an unknown
/// near node leaves the order alone.
extension ConsulHTTPAPI {
    func sortedNear<Row>(_ rows: [Row], _ request: HTTPRequest, node: (Row) -> String) -> [Row] {
        guard let origin = request.query["near"], !origin.isEmpty else { return rows }
        return sortedNear(rows, origin: origin, node: node)
    }

    /// `origin` is a node name or `_agent`; an unknown origin leaves the order alone.
    func sortedNear<Row>(_ rows: [Row], origin requested: String, node: (Row) -> String) -> [Row] {
        let origin = requested == "_agent" ? agent.nodeName : requested
        let coordinates = Dictionary(agent.lanCoordinates.map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        guard let from = coordinates[origin] else { return rows }
        let keyed = rows.enumerated().map { (i, row) -> (Double, Int, Row) in
            (coordinates[node(row)].map { from.distance(to: $0) } ?? .infinity, i, row)
        }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }
}

extension NodeCoordinate {
    /// ‖a−b‖ + heights, plus both adjustments when that stays positive (seconds).
    func distance(to o: NodeCoordinate) -> Double {
        guard vec.count == o.vec.count else { return .infinity }
        let euclid = zip(vec, o.vec).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let raw = euclid + height + o.height
        let adjusted = raw + adjustment + o.adjustment
        return adjusted > 0 ? adjusted : raw
    }
}
