import ConsulClient
import Glibc
import LiveRuntime

/// The flags every HTTP-speaking command shares (`-http-addr`, `-token`, …) and, for commands that
/// take them, the "server flags" (`-datacenter`, `-stale`). Precedence: flag > environment > default.
struct HTTPFlags {
    static func add(to flags: inout GoFlags, serverFlags: Bool) {
        flags.value("http-addr", "<address>", "The `address` and port of the Consul HTTP agent. Can also be specified via the CONSUL_HTTP_ADDR environment variable. The default value is http://127.0.0.1:8500.")
        flags.value("token", "<value>", "ACL token to use in the request. Accepted and ignored: ACLs are not enabled in this build.")
        flags.value("token-file", "<value>", "File containing the ACL token to use in the request.")
        flags.value("ca-file", "<value>", "Path to a CA file to use for TLS (TLS is not supported by this build).")
        flags.value("ca-path", "<value>", "Path to a directory of CA certificates (TLS is not supported by this build).")
        flags.value("client-cert", "<value>", "Path to a client cert file (TLS is not supported by this build).")
        flags.value("client-key", "<value>", "Path to a client key file (TLS is not supported by this build).")
        flags.value("tls-server-name", "<value>", "The server name to use as the SNI host (TLS is not supported by this build).")
        if serverFlags {
            flags.value("datacenter", "<value>", "Name of the datacenter to query. If unspecified, this will default to the datacenter of the queried agent.")
            flags.bool("stale", "Permit any Consul server (non-leader) to respond to this request. Defaults to false.")
        }
    }

    static func settings(_ flags: GoFlags) -> ClientSettings {
        var s = ClientSettings()
        if let env = environment("CONSUL_HTTP_ADDR"), !env.isEmpty { s.address = env }
        if let flag = flags.string("http-addr") { s.address = flag }
        if environment("CONSUL_HTTP_SSL")?.lowercased() == "true", !s.address.contains("://") { s.address = "https://" + s.address }
        if let env = environment("CONSUL_HTTP_TOKEN") { s.token = env }
        if let flag = flags.string("token") { s.token = flag }
        s.datacenter = flags.string("datacenter") ?? ""
        s.stale = flags.flag("stale")
        return s
    }

    static func client(_ flags: GoFlags) throws -> ConsulHTTPClient {
        try ConsulHTTPClient(settings: settings(flags), dialer: PosixDialer())
    }
}

func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}
