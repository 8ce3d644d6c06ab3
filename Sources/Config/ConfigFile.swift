import ConsulAPI

/// The two config file formats (agent.md §3.4): same key names, different syntax.
public enum ConfigFormat: String, Equatable, Sendable {
    case json, hcl

    /// The format `-config-format` forces, else the one the file's extension names; nil when neither says.
    public static func of(path: String, forced: ConfigFormat?) -> ConfigFormat? {
        if let forced { return forced }
        if path.hasSuffix(".json") { return .json }
        if path.hasSuffix(".hcl") { return .hcl }
        return nil
    }
}

/// Reads one config file into a layer. JSON and HCL both become a `JSONValue` document first
/// and then go through `apply(document:path:)`, so every key works the same in both formats.
/// Keys Consul does not know are an error, as in Consul; keys it knows that this build does not
/// act on yet are kept as warnings.
public enum ConfigFile {
    public static func parse(_ bytes: [UInt8], path: String, format: ConfigFormat) throws(ConfigError) -> ConfigLayer {
        switch format {
        case .json: return try parseJSON(bytes, path: path)
        case .hcl: return try parseHCL(bytes, path: path)
        }
    }

    public static func parseJSON(_ bytes: [UInt8], path: String) throws(ConfigError) -> ConfigLayer {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch {
            throw ConfigError("Error parsing \(path): \(error)")
        }
        return try apply(document: document, path: path)
    }

    public static func parseHCL(_ bytes: [UInt8], path: String) throws(ConfigError) -> ConfigLayer {
        try apply(document: HCLParser.parse(bytes, path: path), path: path)
    }

    /// The settings a parsed document (JSON, or HCL turned into JSON) makes; errors name the file and key.
    public static func apply(document: JSONValue, path: String) throws(ConfigError) -> ConfigLayer {
        guard let members = document.objectValue else { throw ConfigError("Error parsing \(path): top level must be an object") }
        var layer = ConfigLayer()
        for (key, value) in members {
            do { try apply(key: key, value: value, to: &layer) } catch {
                throw ConfigError("Error parsing \(path): \(error.message)")
            }
        }
        return layer
    }
}
