/// One entry of the agent's `watches` config (agent.md §2.4): a watch plan and its handler,
/// validated with the rules of Consul's agent (`handler_type`, `args` / deprecated `handler`,
/// `http_handler_config`). Shared by config validation and the agent's watch runner.
public struct AgentWatchDefinition: Equatable, Sendable {
    public enum Handler: Equatable, Sendable {
        /// `args`: argv, run directly.
        case args([String])
        /// `handler`: a shell command line (deprecated in Consul, still accepted).
        case shell(String)
        case http(HTTPHandlerConfig)
    }

    public struct HTTPHandlerConfig: Equatable, Sendable {
        public var path: String
        public var method = "POST"
        public var headers: [(String, [String])] = []
        public var timeoutNanoseconds: UInt64 = 10_000_000_000
        public var tlsSkipVerify = false

        public init(path: String) { self.path = path }

        public static func == (a: HTTPHandlerConfig, b: HTTPHandlerConfig) -> Bool {
            a.path == b.path && a.method == b.method && a.timeoutNanoseconds == b.timeoutNanoseconds
                && a.tlsSkipVerify == b.tlsSkipVerify && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
        }
    }

    public var plan: WatchPlan
    public var handler: Handler

    public init(plan: WatchPlan, handler: Handler) {
        self.plan = plan
        self.handler = handler
    }

    /// Parses one `watches` element; errors are Consul's texts.
    public static func parse(_ value: JSONValue) throws(WatchPlanError) -> AgentWatchDefinition {
        guard let members = value.objectValue else { throw WatchPlanError("expected an object") }
        var params = members.map { ($0.0, single($0.1)) }
        if let i = params.firstIndex(where: { $0.0 == "handler_type" }) {
            guard let t = params[i].1.stringValue, t == "script" || t == "http" else {
                throw WatchPlanError("Handler type '\(params[i].1.stringValue ?? "\(params[i].1)")' not recognized")
            }
        } else {
            params.append(("handler_type", .string("script")))
        }
        if let t = params.first(where: { $0.0 == "type" })?.1.stringValue, t.hasPrefix("connect_") || t.hasPrefix("agent_") {
            throw WatchPlanError("Watch type \(t) is not allowed in agent config")
        }
        var plan = try WatchPlan.parse(params, exempt: ["handler", "args"])
        let exempt = plan.exempt
        plan.exempt = []
        func find(_ name: String) -> JSONValue? { exempt.first { $0.0 == name }?.1 }
        let handlerType = find("handler_type")?.stringValue ?? "script"
        let shell = find("handler"), args = find("args")
        if let shell, shell.stringValue == nil { throw WatchPlanError("Watch handler must be a string") }
        var argv: [String]?
        if let args {
            guard let items = args.arrayValue ?? args.stringValue.map({ [JSONValue.string($0)] }),
                  items.allSatisfy({ $0.stringValue != nil }) else { throw WatchPlanError("Watch args must be a list of strings") }
            argv = items.compactMap(\.stringValue)
        }
        if (shell != nil && args != nil) || (handlerType == "http" && (shell != nil || args != nil)) {
            throw WatchPlanError("Only one watch handler allowed")
        }
        if handlerType == "http" {
            return AgentWatchDefinition(plan: plan, handler: .http(try httpConfig(find("http_handler_config") ?? .null)))
        }
        if let argv, !argv.isEmpty { return AgentWatchDefinition(plan: plan, handler: .args(argv)) }
        if let line = shell?.stringValue, !line.isEmpty { return AgentWatchDefinition(plan: plan, handler: .shell(line)) }
        throw WatchPlanError("Must define a watch handler")
    }

    /// HCL writes a nested block as a list of one object.
    private static func single(_ v: JSONValue) -> JSONValue {
        if let items = v.arrayValue, items.count == 1, items[0].objectValue != nil { return items[0] }
        return v
    }

    private static func httpConfig(_ v: JSONValue) throws(WatchPlanError) -> HTTPHandlerConfig {
        func fail(_ why: String) -> WatchPlanError { WatchPlanError("Failed to parse 'http_handler_config': \(why)") }
        guard let path = v.member("path")?.stringValue, !path.isEmpty else { throw fail("http handler requires 'path' to be set") }
        var config = HTTPHandlerConfig(path: path)
        if let method = v.member("method")?.stringValue, !method.isEmpty { config.method = method.uppercased() }
        if let timeout = v.member("timeout") {
            if let s = timeout.stringValue, let n = GoDuration.parse(s), n >= 0 { config.timeoutNanoseconds = UInt64(n) }
            else if let n = timeout.int64Value, n >= 0 { config.timeoutNanoseconds = UInt64(n) }
            else { throw fail("invalid timeout") }
        }
        if let skip = v.member("tls_skip_verify") { config.tlsSkipVerify = skip.boolValue ?? false }
        for (name, values) in single(v.member("header") ?? .object([])).objectValue ?? [] {
            let list = values.arrayValue?.compactMap(\.stringValue) ?? values.stringValue.map { [$0] } ?? []
            config.headers.append((name, list))
        }
        return config
    }
}
