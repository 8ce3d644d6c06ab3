import ConsulAPI

/// Settings that ask for access control or encryption this build does not have. Ignoring them
/// would run the agent open or in plain text while the operator believes otherwise, so the
/// configuration is refused (start-up and `consul validate` fail) with what is not supported.
enum SecurityRefusals {
    /// `acl { enabled = true }` (or the legacy `acl_datacenter`): this build is ACL-free by design.
    static func checkACL(_ key: String, _ value: JSONValue) throws(ConfigError) {
        for object in try ConfigValue.objects(key, value) {
            for (name, v) in try ConfigValue.object(key, object) where name.lowercased() == "enabled" {
                if try ConfigValue.bool("\(key).enabled", v) {
                    throw ConfigError("\(key).enabled = true: ACLs are not supported by this build (it has no access control by design); refusing to start rather than run without it")
                }
            }
        }
    }

    /// `verify_*` set to true, at the top level or in any `tls` block: TLS is not implemented yet.
    static func checkTLS(_ key: String, _ value: JSONValue) throws(ConfigError) {
        if let flag = value.boolValue {
            let last = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
            if flag && last.hasPrefix("verify_") { throw tlsRefusal(key) }
            return
        }
        guard value.objectValue != nil || value.arrayValue != nil else { return }
        for object in try ConfigValue.objects(key, value) {
            for (name, v) in try ConfigValue.object(key, object) { try checkTLS("\(key).\(name)", v) }
        }
    }

    private static func tlsRefusal(_ key: String) -> ConfigError {
        ConfigError("\(key) = true: TLS is not supported by this build yet; refusing to start rather than accept or send unencrypted traffic")
    }

    /// `ports.https` on: the API would be served without TLS.
    static func checkHTTPS(port: Int) throws(ConfigError) {
        if port > 0 {
            throw ConfigError("ports.https = \(port): HTTPS is not supported by this build yet; refusing to start rather than serve the API without TLS")
        }
    }
}
