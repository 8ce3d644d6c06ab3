import Config
import LiveRuntime

/// Reads config files and directories the way `consul agent` does (agent.md §3.2), shared by
/// `agent` and `validate`: a file's format comes from `-config-format` or its extension; a
/// directory contributes its `*.json` and `*.hcl` files sorted by name (not recursive).
enum ConfigFiles {
    static func file(_ path: String, format: ConfigFormat?) throws -> ConfigLayer {
        guard let format = ConfigFormat.of(path: path, forced: format) else {
            throw ConfigError("Error loading \(path): No format specified for config file. Use -config-format or give the file a .json or .hcl extension")
        }
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch { throw ConfigError("Error loading \(path): \(error)") }
        return try ConfigFile.parse(bytes, path: path, format: format)
    }

    static func directory(_ dir: String, format: ConfigFormat?) throws -> [ConfigLayer] {
        guard Files.isDirectory(dir) else { throw ConfigError("Error loading \(dir): not a directory") }
        var layers: [ConfigLayer] = []
        for name in try Files.list(dir) where name.hasSuffix(".json") || name.hasSuffix(".hcl") {
            let path = dir + "/" + name
            if Files.isDirectory(path) { continue }
            layers.append(try file(path, format: format))
        }
        return layers
    }

    /// Each path as a directory when it is one, else as a file (`consul validate FILE_OR_DIR...`).
    static func paths(_ paths: [String], format: ConfigFormat?) throws -> [ConfigLayer] {
        var layers: [ConfigLayer] = []
        for path in paths {
            if Files.isDirectory(path) { layers += try directory(path, format: format) } else { layers.append(try file(path, format: format)) }
        }
        return layers
    }
}
