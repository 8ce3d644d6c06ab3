import ConsulAPI
import HTTP1
import HTTPAPI
import Platform
import Wire

/// The receiving side of `consul exec` (Consul's remote execution): a `_rexec` user event names a
/// session; the job spec waits at `<prefix>/<session>/job`; this agent acknowledges at
/// `<node>/ack`, runs the command, writes heartbeats and output chunks to `<node>/out/<seq>`
/// (5 hex digits, at most 4 KiB each) and the exit code to `<node>/exit`, every key held by the
/// job's session so destroying it cleans up. Off unless `disable_remote_exec = false`.
/// KV goes through the agent's own HTTP dispatch, so clients reach the servers as usual.
final class RemoteExecJob {
    static let eventName = "_rexec"
    static let chunkBytes = 4096
    static let heartbeatNanoseconds: UInt64 = 1_000_000_000

    private let base: String
    private let session: String
    private let node: String
    private let dispatch: (HTTPRequest, Responder) -> Void
    private let clock: EventLoopClock
    private let processes: ProcessRunner
    private let logger: Logger
    private var sequence = 0
    private var heartbeat: TimerHandle?

    /// nil when the event's payload is not a remote-exec request.
    init?(payload: [UInt8], node: String, dispatch: @escaping (HTTPRequest, Responder) -> Void,
          clock: EventLoopClock, processes: ProcessRunner, logger: Logger) {
        guard let json = try? JSONParser.parse(payload), let prefix = json.member("Prefix")?.stringValue,
              let session = json.member("Session")?.stringValue, !prefix.isEmpty, !session.isEmpty else { return nil }
        base = prefix + "/" + session + "/"
        self.session = session
        self.node = node
        self.dispatch = dispatch
        self.clock = clock
        self.processes = processes
        self.logger = logger
    }

    /// Reads the job, acknowledges it, runs it and reports; retained by its callbacks until done.
    func start() {
        kv("GET", base + "job", query: "stale") { [self] response in
            guard response.status == 200, let spec = RemoteExecJob.spec(fromKVResponse: response.body) else {
                return logger.error("remote exec: failed to read the job", [("key", base + "job"), ("status", String(response.status))])
            }
            put(base + node + "/ack", []) { [self] in run(spec) }
        }
    }

    /// The command line a job spec asks for: `Command` and `Script` through the shell, or `Args`.
    static func spec(fromKVResponse body: [UInt8]) -> [String]? {
        guard let entries = try? JSONParser.parse(body).arrayValue, let value = entries.first?.member("Value")?.stringValue,
              let bytes = Base64.decode(value), let spec = try? JSONParser.parse(bytes) else { return nil }
        if let command = spec.member("Command")?.stringValue, !command.isEmpty { return ["/bin/sh", "-c", command] }
        if let script = spec.member("Script")?.stringValue, let text = Base64.decode(script) {
            return ["/bin/sh", "-c", String(decoding: text, as: UTF8.self)]
        }
        if let args = spec.member("Args")?.arrayValue?.compactMap(\.stringValue), !args.isEmpty { return args }
        return nil
    }

    private func run(_ arguments: [String]) {
        logger.info("remote exec: running", [("command", arguments.joined(separator: " "))])
        scheduleHeartbeat()
        let request = ProcessRequest(arguments: arguments, outputLimitBytes: 1 << 20)
        do {
            _ = try processes.run(request) { [self] outcome in
                heartbeat?.cancel()
                let code: Int32
                switch outcome.termination {
                case .exited(let c): code = c
                case .signaled(let signal): code = 128 + signal
                case .timedOut: code = 137
                }
                writeOutput(outcome.output[...]) { [self] in
                    put(base + node + "/exit", Array(String(code).utf8)) {}
                }
            }
        } catch {
            heartbeat?.cancel()
            writeOutput(Array("\(error)\n".utf8)[...]) { [self] in put(base + node + "/exit", Array("1".utf8)) {} }
        }
    }

    /// Empty output chunks while the command runs, so `consul exec` knows it is alive.
    private func scheduleHeartbeat() {
        heartbeat = clock.schedule(after: RemoteExecJob.heartbeatNanoseconds) { [weak self] in
            guard let self else { return }
            self.putChunk([]) {}
            self.scheduleHeartbeat()
        }
    }

    private func writeOutput(_ output: ArraySlice<UInt8>, then done: @escaping () -> Void) {
        guard !output.isEmpty else { return done() }
        let chunk = Array(output.prefix(RemoteExecJob.chunkBytes))
        putChunk(chunk) { [self] in writeOutput(output.dropFirst(chunk.count), then: done) }
    }

    private func putChunk(_ bytes: [UInt8], then done: @escaping () -> Void) {
        let hex = String(sequence, radix: 16)
        sequence += 1
        put(base + node + "/out/" + String(repeating: "0", count: max(0, 5 - hex.count)) + hex, bytes, then: done)
    }

    private func put(_ key: String, _ value: [UInt8], then done: @escaping () -> Void) {
        kv("PUT", key, query: "acquire=" + percentEncode(session, keep: ""), body: value) { [logger] response in
            if response.status != 200 { logger.warn("remote exec: write failed", [("key", key), ("status", String(response.status))]) }
            done()
        }
    }

    private func kv(_ method: String, _ key: String, query: String, body: [UInt8] = [], completion: @escaping (HTTPResponse) -> Void) {
        guard let request = try? HTTPRequest(method: method, target: "/v1/kv/" + percentEncode(key) + "?" + query, body: body) else {
            return completion(.text(400, "bad key"))
        }
        dispatch(request, Responder(completion))
    }
}
