import ConsulAPI
import ConsulClient
import Foundation

/// `consul exec [options] [-|command...]`: Consul's remote execution. A session ("Remote Exec",
/// delete behaviour, 15 s TTL renewed while waiting) holds the job at `<prefix>/<session>/job`;
/// a `_rexec` user event (with the node/service/tag filters) tells agents to run it; their acks,
/// output chunks and exit codes come back under the same prefix and are printed as they arrive.
/// Agents run nothing unless started with `disable_remote_exec = false`.
enum ExecCommand {
    static let help = """
    Usage: consul exec [options] [-|command...]

      Evaluates a command on remote Consul nodes. The nodes responding can
      be filtered using regular expressions on node name, service, and tag
      definitions. If a command is '-', stdin will be read until EOF
      and used as a script input.
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: true)
        flags.value("node", "<string>", "Regular expression to filter on node names.")
        flags.value("service", "<string>", "Regular expression to filter on service instances.")
        flags.value("tag", "<string>", "Regular expression to filter on service tags. Must be used with -service.")
        flags.value("prefix", "<string>", "Prefix in the KV store to use for request data. Defaults to \"_rexec\".")
        flags.value("shell", "<bool>", "Use a shell to run the command. Defaults to true.")
        flags.value("wait", "<duration>", "Period to wait with no responses before terminating execution. Defaults to 2s.")
        flags.value("wait-repl", "<duration>", "Period to wait for replication before firing event. Defaults to 200ms.")
        flags.bool("verbose", "Enables verbose output.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let node = flags.string("node") ?? "", service = flags.string("service") ?? "", tag = flags.string("tag") ?? ""
        let prefix = (flags.string("prefix") ?? "_rexec").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let shell = flags.string("shell").map { $0 == "true" || $0 == "1" } ?? true
        let verbose = flags.flag("verbose")
        guard let wait = duration(flags.string("wait") ?? "2s"), let replWait = duration(flags.string("wait-repl") ?? "200ms") else {
            console.error("Invalid duration for -wait or -wait-repl")
            return 1
        }
        if let problem = EventCommand.filterProblem(node: node, service: service, tag: tag) {
            console.error(problem)
            return 1
        }
        guard let spec = jobSpec(flags.positional, shell: shell, wait: wait) else {
            console.error("Must specify a command to execute")
            console.error("")
            console.error(help)
            return 1
        }
        let client: ConsulHTTPClient
        let session: String
        do {
            client = try HTTPFlags.client(flags)
            session = try createSession(client)
        } catch {
            console.error("Failed to create session: \(error)")
            return 1
        }
        let base = prefix + "/" + session + "/"
        defer {
            // Consul's wording when the clean-up fails; the job's keys are the session's, so they
            // also go once its TTL runs out.
            do { try client.sessionDestroy(session) } catch { console.error("Failed to destroy session: \(error)") }
            do { _ = try client.kvDelete(base, recurse: true) } catch { console.error("Failed to cleanup job: \(error)") }
        }
        do {
            guard try client.kvLock(base + "job", session: session, value: spec, flags: 0) else {
                console.error("Failed to upload job: the session could not acquire it")
                return 1
            }
        } catch {
            console.error("Failed to upload job: \(error)")
            return 1
        }
        // Let followers catch up with the job before agents read it (stale reads).
        usleep(useconds_t(min(replWait, 10) * 1_000_000))
        do {
            var query: [(String, String?)] = []
            if !node.isEmpty { query.append(("node", node)) }
            if !service.isEmpty { query.append(("service", service)) }
            if !tag.isEmpty { query.append(("tag", tag)) }
            let payload = #"{"Prefix":"\#(prefix)","Session":"\#(session)"}"#
            let response = try client.sendExpectingOK("PUT", "/v1/event/fire/_rexec", query: query, body: Array(payload.utf8))
            if verbose, let id = try client.json(response)["ID"]?.stringValue { console.info("Fired remote execution event. \(id)") }
        } catch {
            console.error("Failed to fire event: \(error)")
            return 1
        }
        return collect(client, base: base, session: session, wait: wait, verbose: verbose, console)
    }

    /// Prints output, exits and the summary; 2 if any node failed or never finished.
    private static func collect(_ client: ConsulHTTPClient, base: String, session: String, wait: Double, verbose: Bool,
                                _ console: Console) -> Int32 {
        var acked = Set<String>(), exited: [String: Int] = [:], seen = Set<String>()
        var index: UInt64 = 0
        var quietUntil = monotonicSeconds() + wait
        var renewAt = monotonicSeconds() + 5
        while monotonicSeconds() < quietUntil {
            if monotonicSeconds() >= renewAt {
                do {
                    if try !client.sessionRenew(session) { console.error("Failed to renew session: it no longer exists") }
                } catch {
                    console.error("Failed to renew session: \(error)")
                }
                renewAt = monotonicSeconds() + 5
            }
            let remaining = max(0.01, min(quietUntil - monotonicSeconds(), 5))
            let pairs: [KVPair], next: UInt64
            do {
                (pairs, next) = try client.kvBlocking(base, recurse: true, index: index, waitSeconds: 0,
                                                      waitMilliseconds: Int(remaining * 1000))
            } catch {
                // Keep waiting out the quiet period (the agent may come back), but say why.
                console.error("Failed to read job results: \(error)")
                usleep(100_000)
                continue
            }
            index = next
            var activity = false
            for pair in pairs.sorted(by: { $0.key < $1.key }) where !seen.contains(pair.key) {
                let rest = pair.key.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard rest.count >= 2 else { continue }
                let node = rest[0]
                switch rest[1] {
                case "ack":
                    seen.insert(pair.key)
                    acked.insert(node)
                    activity = true
                    if verbose { console.info("    Node \(node): acknowledged") }
                case "out" where rest.count == 3:
                    seen.insert(pair.key)
                    activity = true
                    // An empty chunk is a heartbeat: the node is still running the job.
                    guard !pair.value.isEmpty else { continue }
                    var text = String(decoding: pair.value, as: UTF8.self)
                    if text.hasSuffix("\n") { text.removeLast() }
                    for line in text.split(separator: "\n", omittingEmptySubsequences: false) { console.info("    \(node): \(line)") }
                case "exit":
                    seen.insert(pair.key)
                    activity = true
                    let code = Int(String(decoding: pair.value, as: UTF8.self)) ?? -1
                    exited[node] = code
                    console.info("==> \(node): finished with exit code \(code)")
                default: continue
                }
            }
            if activity { quietUntil = monotonicSeconds() + wait }
        }
        console.info("\(exited.count) / \(acked.count) node(s) completed / acknowledged")
        let failed = exited.values.contains { $0 != 0 } || acked.count > exited.count
        return failed ? 2 : 0
    }

    /// Consul's job spec: `Command` (shell) or `Args`, or `Script` (stdin for `-`), with `Wait` in nanoseconds.
    private static func jobSpec(_ positional: [String], shell: Bool, wait: Double) -> [UInt8]? {
        guard !positional.isEmpty else { return nil }
        var json = JSONWriter()
        json.beginObject()
        if positional == ["-"] {
            let script = FileHandle.standardInput.readDataToEndOfFile()
            json.key("Script"); json.base64(Array(script))
        } else if shell {
            json.field("Command", positional.joined(separator: " "))
        } else {
            json.key("Args"); json.stringList(positional)
        }
        json.field("Wait", UInt64(wait * 1e9))
        json.endObject()
        return json.finish()
    }

    private static func createSession(_ client: ConsulHTTPClient) throws -> String {
        let response = try client.sendExpectingOK("PUT", "/v1/session/create",
                                                  body: Array(#"{"Name":"Remote Exec","Behavior":"delete","TTL":"15s"}"#.utf8))
        guard let id = try client.json(response)["ID"]?.stringValue else { throw ClientError.badResponse("session create without ID") }
        return id
    }

    private static func duration(_ text: String) -> Double? {
        guard let nanos = GoDuration.parse(text), nanos >= 0 else { return nil }
        return Double(nanos) / 1e9
    }
}
