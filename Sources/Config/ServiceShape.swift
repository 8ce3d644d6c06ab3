import ConsulAPI

/// Consul decodes a service definition's list-typed fields weakly: one object where a list
/// belongs counts as a one-element list. HCL produces exactly that for a block written once
/// (`service { checks { … } }`), so services are stored with those fields as lists — the shape
/// the JSON form `"checks": [{…}]` has — and the agent's decoder sees one shape.
enum ServiceShape {
    /// Consul's list-typed paths inside a service (its HCL slice-of-maps exceptions).
    static let listPaths: [[String]] = [
        ["checks"],
        ["proxy", "upstreams"],
        ["proxy", "expose", "paths"],
        ["connect", "proxy", "upstreams"],
        ["connect", "proxy", "config", "upstreams"],
        ["connect", "sidecar_service", "checks"],
        ["connect", "sidecar_service", "proxy", "upstreams"],
        ["connect", "sidecar_service", "proxy", "expose", "paths"],
    ]

    static func normalized(_ service: JSONValue) -> JSONValue {
        listPaths.reduce(service) { wrapObject($0, at: $1[...]) }
    }

    /// Wraps a lone object at `path` (key names case-insensitive) in a list.
    private static func wrapObject(_ value: JSONValue, at path: ArraySlice<String>) -> JSONValue {
        guard case .object(var members) = value, let name = path.first else { return value }
        for i in members.indices where members[i].0.lowercased() == name {
            if path.count > 1 {
                members[i].1 = wrapObject(members[i].1, at: path.dropFirst())
            } else if members[i].1.objectValue != nil {
                members[i].1 = .array([members[i].1])
            }
        }
        return .object(members)
    }
}
