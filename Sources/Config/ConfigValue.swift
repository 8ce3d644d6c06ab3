import ConsulAPI

/// Reads one config value as the type its key needs. Like Consul's weakly typed decoding,
/// booleans and integers may also be written as strings. Errors name the key.
enum ConfigValue {
    static func string(_ key: String, _ v: JSONValue) throws(ConfigError) -> String {
        guard let s = v.stringValue else { throw ConfigError("\(key): expected a string") }
        return s
    }

    static func bool(_ key: String, _ v: JSONValue) throws(ConfigError) -> Bool {
        if let b = v.boolValue { return b }
        if let s = v.stringValue, let b = Bool(s.lowercased()) { return b }
        throw ConfigError("\(key): expected a boolean")
    }

    static func int(_ key: String, _ v: JSONValue) throws(ConfigError) -> Int {
        if let n = v.int64Value { return Int(n) }
        if let s = v.stringValue, let n = Int(s) { return n }
        throw ConfigError("\(key): expected an integer")
    }

    static func duration(_ key: String, _ v: JSONValue) throws(ConfigError) -> UInt64 {
        if let s = v.stringValue, let n = GoDuration.parse(s), n >= 0 { return UInt64(n) }
        if let n = v.int64Value, n >= 0 { return UInt64(n) }
        throw ConfigError("\(key): invalid duration")
    }

    static func object(_ key: String, _ v: JSONValue) throws(ConfigError) -> [(String, JSONValue)] {
        guard let members = v.objectValue else { throw ConfigError("\(key): expected an object") }
        return members
    }

    /// One object or a list of objects (Consul's singular `service`/`check` and an HCL block
    /// written once both give one object), kept raw for the agent's own decoder.
    static func objects(_ key: String, _ v: JSONValue) throws(ConfigError) -> [JSONValue] {
        if v.objectValue != nil { return [v] }
        guard let items = v.arrayValue else { throw ConfigError("\(key): expected an object or a list of objects") }
        for (i, item) in items.enumerated() where item.objectValue == nil {
            throw ConfigError("\(key)[\(i)]: expected an object")
        }
        return items
    }
}
