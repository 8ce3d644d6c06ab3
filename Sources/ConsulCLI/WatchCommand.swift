import ConsulAPI
import ConsulClient
import LiveRuntime

/// `consul watch -type <t> [options] [handler...]`: a blocking-query watch. Without a handler
/// the first result is printed (4-space-indented JSON) and the command exits 0; with one, the
/// handler runs on the first result and on every change, and a failing handler ends it with 1.
enum WatchCommand {
    static let help = "Usage: consul watch [options] [child...]\n\n  Watches for changes in a given data view from Consul. If a child process\n  is specified, it will be invoked with the latest results on changes. Otherwise,\n  the latest values are dumped to stdout and the watch terminates.\n\n  Providing the watch type is required, and other parameters may be required\n  or supported depending on the watch type."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("type", "<string>", "Specifies the watch type. One of key, keyprefix, services, nodes, service, checks, or event.")
        flags.value("key", "<string>", "Specifies the key to watch. Only for 'key' type.")
        flags.value("prefix", "<string>", "Specifies the key prefix to watch. Only for 'keyprefix' type.")
        flags.value("service", "<string>", "Specifies the service to watch. Required for 'service' type, optional for 'checks' type.")
        flags.list("tag", "<string>", "Specifies the service tag(s) to filter on. Optional for 'service' type. May be specified multiple times")
        flags.value("passingonly", "<bool>", "Specifies if only hosts passing all checks are displayed. Optional for 'service' type, defaults false.")
        flags.value("state", "<string>", "Specifies the states to watch. Optional for 'checks' type.")
        flags.value("name", "<string>", "Specifies an event name to watch. Only for 'event' type.")
        flags.value("filter", "<string>", "Filter to use with the request")
        flags.bool("shell", "Use a shell to run the command (can set a custom shell via the SHELL environment variable). The default value is true.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let type = flags.string("type") ?? ""
        guard !type.isEmpty else {
            console.error("Watch type must be specified")
            console.error("")
            console.error(help)
            return 1
        }
        var params: [(String, JSONValue)] = [("type", .string(type))]
        for (flag, key) in [("datacenter", "datacenter"), ("key", "key"), ("prefix", "prefix"), ("service", "service"),
                            ("state", "state"), ("name", "name"), ("filter", "filter")] {
            if let v = flags.string(flag), !v.isEmpty { params.append((key, .string(v))) }
        }
        let tags = flags.strings("tag")
        if !tags.isEmpty { params.append(("tag", .array(tags.map(JSONValue.string)))) }
        if flags.flag("stale") { params.append(("stale", .bool(true))) }
        if let passing = flags.string("passingonly"), !passing.isEmpty {
            guard let b = parseGoBool(passing) else {
                console.error("Failed to parse passingonly flag: strconv.ParseBool: parsing \"\(passing)\": invalid syntax")
                return 1
            }
            params.append(("passingonly", .bool(b)))
        }
        let plan: WatchPlan
        do { plan = try WatchPlan.parse(params) } catch {
            console.error(error.message)
            return 1
        }
        let client: ConsulHTTPClient
        do {
            client = try HTTPFlags.client(flags)
            _ = try client.sendExpectingOK("GET", "/v1/agent/self", serverFlags: false)
        } catch {
            console.error("Error querying Consul agent: \(error)")
            return 1
        }
        let handlerArgs = flags.positional
        let shell = flags.isSet("shell") ? flags.flag("shell") : true
        var exitCode: Int32 = 0
        let loop = WatchLoop(plan: plan, client: client)
        loop.run(shouldStop: { false }, sleep: { DetachedThread.sleep(nanoseconds: $0) },
                 onError: { message, retry in
                     console.error("[ERROR] watch: Watch errored: type=\(plan.kind.rawValue) error=\"\(message)\" retry=\(retry / 1_000_000_000)s")
                 }) { index, data in
            guard !handlerArgs.isEmpty else {
                var json = JSONWriter(pretty: true)
                data.write(to: &json)
                var text = String(decoding: json.finish(), as: UTF8.self)
                while text.hasSuffix("\n") { text.removeLast() }
                console.info(text)
                return false
            }
            var input = data.encoded()
            input.append(UInt8(ascii: "\n"))
            do {
                let outcome = try HandlerProcess.run(arguments: handlerCommand(handlerArgs, shell: shell),
                                                     environment: ["CONSUL_INDEX=\(index)"], stdin: input, captureLimitBytes: nil)
                guard outcome.succeeded else {
                    console.error("Error executing handler: \(outcome.failureText)")
                    exitCode = 1
                    return false
                }
                return true
            } catch {
                console.error("Error starting handler: \(error)")
                exitCode = 1
                return false
            }
        }
        return exitCode
    }

    /// `$SHELL -c "<args joined>"` (default /bin/sh), or the arguments as argv with `-shell=false`.
    static func handlerCommand(_ args: [String], shell: Bool) -> [String] {
        guard shell else { return args }
        let sh = environment("SHELL").flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
        return [sh, "-c", args.joined(separator: " ")]
    }
}
