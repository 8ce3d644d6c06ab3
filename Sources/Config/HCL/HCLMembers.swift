import ConsulAPI

/// Collects one HCL body's items into a JSON object, in order of first appearance.
/// An object given more than once under the same key (two `service { }` blocks, or
/// `service = { }` twice) becomes a list of those objects; any other repeated key keeps
/// its last value.
struct HCLMembers {
    private enum Entry {
        case value(JSONValue)
        case objects([JSONValue])
    }

    private var order: [String] = []
    private var entries: [String: Entry] = [:]

    mutating func add(_ key: String, _ value: JSONValue) {
        if entries[key] == nil { order.append(key) }
        if case .object = value {
            if case .objects(let earlier)? = entries[key] {
                entries[key] = .objects(earlier + [value])
            } else {
                entries[key] = .objects([value])
            }
        } else {
            entries[key] = .value(value)
        }
    }

    var object: JSONValue {
        .object(order.map { key in
            switch entries[key]! {
            case .value(let v): return (key, v)
            case .objects(let list): return (key, list.count == 1 ? list[0] : .array(list))
            }
        })
    }
}
