/// A Vivaldi network coordinate as the API shows it.
public struct NodeCoordinate: Equatable, Sendable {
    public var node: String
    public var vec: [Double]
    public var error: Double
    public var adjustment: Double
    public var height: Double
    public init(node: String, vec: [Double], error: Double, adjustment: Double, height: Double) {
        self.node = node; self.vec = vec; self.error = error; self.adjustment = adjustment; self.height = height
    }
}

extension NodeCoordinate {
    /// Consul's dimensionality (8) and finite numbers only: what `/v1/coordinate/update` accepts.
    public static let dimensionality = 8

    /// nil when valid, else Consul's error text.
    public var validationError: String? {
        guard vec.count == NodeCoordinate.dimensionality else { return "incompatible coordinate" }
        guard (vec + [error, adjustment, height]).allSatisfy(\.isFinite) else { return "invalid coordinate" }
        return nil
    }
}
