import Agent
import ConsulAPI
import ConsulClient
import LiveRuntime
import Platform

/// The agent's `watches`: each runs on its own thread with the blocking `WatchLoop` against the
/// agent's own HTTP API, as Consul runs watch plans beside the agent. Handlers run on that
/// thread too (script: stdin JSON + `CONSUL_INDEX`, output tail logged; http: POST of the JSON
/// with `X-Consul-Index`), so the loop thread never blocks; log lines are posted to the loop.
enum AgentWatches {
    /// Consul's WatchBufSize: the handler output kept for the log.
    static let outputBytesMax = 4096

    static func start(_ definitions: [JSONValue], agent: Agent, loop: EventLoop) {
        guard !definitions.isEmpty else { return }
        let logger = agent.logger.named("watch")
        guard let http = agent.httpAddresses.first else {
            logger.error("watches need the HTTP API, which is disabled (ports.http < 1); watches not started")
            return
        }
        let host = http.host == "0.0.0.0" ? "127.0.0.1" : (http.host == "::" ? "::1" : http.host)
        let address = host.contains(":") ? "[\(host)]:\(http.port)" : "\(host):\(http.port)"
        let wakeup = LoopWakeup(loop: loop)
        let log: @Sendable (LogLevel, String, [(String, String)]) -> Void = { level, message, fields in
            wakeup.post { logger.log(level, message, fields) }
        }
        for (i, raw) in definitions.enumerated() {
            // Validated when the configuration was loaded.
            guard let definition = try? AgentWatchDefinition.parse(raw) else { continue }
            var settings = ClientSettings()
            settings.address = address
            settings.token = definition.plan.token
            guard let client = try? ConsulHTTPClient(settings: settings, dialer: PosixDialer()) else { continue }
            logger.info("starting watch", [("index", String(i)), ("type", definition.plan.kind.rawValue)])
            DetachedThread.start {
                let watch = WatchLoop(plan: definition.plan, client: client)
                watch.run(shouldStop: { false }, sleep: { DetachedThread.sleep(nanoseconds: $0) },
                          onError: { message, retry in
                              log(.error, "Watch errored", [("type", definition.plan.kind.rawValue), ("error", message),
                                                            ("retry", "\(retry / 1_000_000_000)s")])
                          }) { index, data in
                    runHandler(definition.handler, index: index, data: data, log: log)
                    return true
                }
            }
        }
    }

    static func runHandler(_ handler: AgentWatchDefinition.Handler, index: UInt64, data: JSONValue,
                           log: (LogLevel, String, [(String, String)]) -> Void) {
        var body = data.encoded()
        body.append(UInt8(ascii: "\n"))
        switch handler {
        case .http(let config):
            runHTTP(config, index: index, body: body, log: log)
        case .args(let argv):
            runScript(argv, label: argv.joined(separator: " "), index: index, body: body, log: log)
        case .shell(let line):
            let shell = environment("SHELL").flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
            runScript([shell, "-c", line], label: line, index: index, body: body, log: log)
        }
    }

    private static func runScript(_ argv: [String], label: String, index: UInt64, body: [UInt8],
                                  log: (LogLevel, String, [(String, String)]) -> Void) {
        do {
            let outcome = try HandlerProcess.run(arguments: argv, environment: ["CONSUL_INDEX=\(index)"], stdin: body,
                                                 captureLimitBytes: outputBytesMax)
            if !outcome.succeeded {
                log(.error, "Failed to run watch handler", [("handler", label), ("error", outcome.failureText)])
            }
            log(.debug, "watch handler output", [("handler", label), ("output", String(decoding: outcome.output, as: UTF8.self))])
        } catch {
            log(.error, "Failed to run watch handler", [("handler", label), ("error", "\(error)")])
        }
    }

    /// POSTs (or the configured method) the data to `path`; plain http only in this build.
    private static func runHTTP(_ config: AgentWatchDefinition.HTTPHandlerConfig, index: UInt64, body: [UInt8],
                                log: (LogLevel, String, [(String, String)]) -> Void) {
        guard config.path.hasPrefix("http://") else {
            return log(.error, "Failed to run watch handler", [("handler", config.path), ("error", "only http:// handler paths are supported by this build")])
        }
        let rest = config.path.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var path = String(rest[slash...])
        if path.isEmpty { path = "/" }
        var query: [(String, String?)] = []
        if let q = path.firstIndex(of: "?") {
            for item in path[path.index(after: q)...].split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                query.append((parts[0], parts.count > 1 ? parts[1] : nil))
            }
            path = String(path[..<q])
        }
        var settings = ClientSettings()
        settings.address = String(rest[..<slash])
        settings.timeoutMilliseconds = Int(config.timeoutNanoseconds / 1_000_000)
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("X-Consul-Index", String(index))]
        for (name, values) in config.headers { for v in values { headers.append((name, v)) } }
        do {
            let client = try ConsulHTTPClient(settings: settings, dialer: PosixDialer())
            let response = try client.send(config.method, path, query: query, body: body, serverFlags: false, headers: headers)
            if !(200...299).contains(response.status) {
                log(.error, "http watch handler failed with non-2xx status code", [("handler", config.path), ("status", String(response.status))])
            }
        } catch {
            log(.error, "Failed to run watch handler", [("handler", config.path), ("error", "\(error)")])
        }
    }
}
