import ConsulAPI
import HTTP1
import HTTPAPI
import Platform
import Testing

private let second: UInt64 = 1_000_000_000
private let minute: UInt64 = 60 * second

/// Local services in memory, with the one-shot change watchers the agent's LocalState offers.
private final class FakeLocal: LocalAgent {
    func hostReport() -> HostReport? { nil }
    var services: [String: NodeService] = [:]
    private var watchers: [UInt64: () -> Void] = [:]
    private var next: UInt64 = 0
    var watcherCount: Int { watchers.count }

    func set(_ s: NodeService) { services[s.id] = s; changed() }
    func changed() {
        let woken = watchers
        watchers = [:]
        for (_, w) in woken { w() }
    }
    func localServices() -> [NodeService] { Array(services.values) }
    func localChecks() -> [HealthCheck] { [] }
    func registerService(_ definition: JSONValue, replaceExistingChecks: Bool, completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func deregisterService(id: String, completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func registerCheck(_ definition: JSONValue, completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func deregisterCheck(id: String, completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func updateTTLCheck(id: String, status: String, output: String) -> HTTPResponseError? { nil }
    func setServiceMaintenance(id: String, enable: Bool, reason: String) -> HTTPResponseError? { nil }
    func setNodeMaintenance(enable: Bool, reason: String) {}
    func reload(completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func leave(completion: @escaping () -> Void) { completion() }
    func join(address: String, wan: Bool, completion: @escaping (HTTPResponseError?) -> Void) { completion(nil) }
    func forceLeave(node: String, prune: Bool, wan: Bool) -> HTTPResponseError? { nil }
    func watchLocalChanges(_ wake: @escaping () -> Void) -> UInt64 { next += 1; watchers[next] = wake; return next }
    func cancelLocalWatch(_ token: UInt64) { watchers[token] = nil }
    var logReaders: [UInt64: (String) -> Void] = [:]
    func watchLogs(level: String, _ line: @escaping (String) -> Void) -> UInt64? {
        guard ["trace", "debug", "info", "warn", "err", "error"].contains(level.lowercased()) else { return nil }
        next += 1
        logReaders[next] = line
        return next
    }
    func cancelLogWatch(_ token: UInt64) { logReaders[token] = nil }
    func keyringOperation(_ kind: KeyringRequestKind, key: String, relayFactor: UInt8, localOnly: Bool,
                          completion: @escaping (Result<[KeyringPoolResponse], HTTPResponseError>) -> Void) {
        completion(.success([]))
    }
}

private struct Harness {
    let clock = ManualClock()
    let random = FixedRandom()
    let local = FakeLocal()
    let api: ConsulHTTPAPI
    init() {
        api = ConsulHTTPAPI(backend: ImmediateBackend(), agent: FakeAgent(), clock: clock, random: random,
                            config: APIConfig(), local: local)
        var s = NodeService()
        s.id = "web"; s.service = "web"; s.tags = ["a"]; s.port = 80
        local.set(s)
    }
    func get(_ target: String, keep: ((Responder) -> Void)? = nil) -> Answer {
        let answer = Answer()
        let request = try! HTTPRequest(method: "GET", target: target, headers: HTTPHeaders([]), body: [])
        let responder = Responder { answer.response = $0; answer.count += 1 }
        keep?(responder)
        api.handle(request, responder)
        return answer
    }
}

private func bodyHash(_ a: Answer) -> String? {
    guard let body = a.response?.body, let v = try? JSONParser.parse(body) else { return nil }
    return v.objectValue?.first(where: { $0.0 == "ContentHash" })?.1.stringValue
}

@Suite("agent/service/<id> hash blocking")
struct AgentServiceHashTests {
    /// Proves the body and header carry the same stable hash, and that it changes with content.
    @Test func hashInBodyAndHeader() {
        let h = Harness()
        let a = h.get("/v1/agent/service/web")
        let hash = a.header("X-Consul-ContentHash")
        #expect(a.status == 200)
        #expect(hash?.count == 16)
        #expect(bodyHash(a) == hash)
        #expect(h.get("/v1/agent/service/web").header("X-Consul-ContentHash") == hash)
        var s = h.local.services["web"]!
        s.tags = ["b"]
        h.local.set(s)
        #expect(h.get("/v1/agent/service/web").header("X-Consul-ContentHash") != hash)
        #expect(h.get("/v1/agent/service/nope").status == 404)
    }

    /// Proves a matching hash blocks through unrelated changes and wakes when the content changes.
    @Test func blocksUntilHashDiffers() {
        let h = Harness()
        let hash = h.get("/v1/agent/service/web").header("X-Consul-ContentHash")!
        #expect(h.get("/v1/agent/service/web?hash=different").answered)
        let blocked = h.get("/v1/agent/service/web?hash=\(hash)&wait=1m")
        #expect(!blocked.answered)
        h.local.changed() // some other local change: same hash, keeps waiting
        #expect(!blocked.answered)
        #expect(h.local.watcherCount == 1)
        var s = h.local.services["web"]!
        s.port = 81
        h.local.set(s)
        #expect(blocked.count == 1)
        #expect(blocked.header("X-Consul-ContentHash") != hash)
        #expect(h.clock.pendingTimerCount == 0)
        #expect(h.local.watcherCount == 0)
    }

    /// Proves the wait ends at wait + jitter with the unchanged hash, and that 10m caps it.
    @Test func timesOut() {
        let h = Harness()
        let hash = h.get("/v1/agent/service/web").header("X-Consul-ContentHash")!
        let blocked = h.get("/v1/agent/service/web?hash=\(hash)&wait=1s")
        h.clock.advance(by: second - 1)
        #expect(!blocked.answered)
        h.clock.advance(by: 1)
        #expect(blocked.status == 200)
        #expect(blocked.header("X-Consul-ContentHash") == hash)
        #expect(h.local.watcherCount == 0)
        let capped = h.get("/v1/agent/service/web?hash=\(hash)&wait=1h")
        h.clock.advance(by: 10 * minute)
        #expect(capped.answered)
        let byDefault = h.get("/v1/agent/service/web?hash=\(hash)")
        h.clock.advance(by: 5 * minute - 1)
        #expect(!byDefault.answered)
        h.clock.advance(by: 1)
        #expect(byDefault.answered)
    }

    /// Proves a client going away frees the watcher and timer.
    @Test func cancelFreesWatch() {
        let h = Harness()
        let hash = h.get("/v1/agent/service/web").header("X-Consul-ContentHash")!
        var kept: Responder?
        let blocked = h.get("/v1/agent/service/web?hash=\(hash)") { kept = $0 }
        #expect(h.local.watcherCount == 1)
        kept?.cancel()
        #expect(h.local.watcherCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
        #expect(!blocked.answered)
    }
}

/// `/v1/agent/monitor` streams log lines as chunks until the client leaves; bad levels are 400.
@Suite("agent/monitor streaming")
struct AgentMonitorTests {
    @Test func streamsLinesUntilCancelled() {
        let h = Harness()
        var parts: [String] = []
        var whole: HTTPResponse?
        let request = try! HTTPRequest(method: "GET", target: "/v1/agent/monitor?loglevel=debug", headers: HTTPHeaders([]), body: [])
        let responder = Responder({ whole = $0 }, stream: { part in
            switch part {
            case .head(let head): parts.append("head \(head.status)")
            case .chunk(let bytes): parts.append(String(decoding: bytes, as: UTF8.self))
            case .end: parts.append("end")
            }
        })
        h.api.handle(request, responder)
        #expect(whole == nil && parts == ["head 200"], "\(whole?.status ?? 0) \(String(decoding: whole?.body ?? [], as: UTF8.self))")
        #expect(h.local.logReaders.count == 1)
        for read in h.local.logReaders.values { read("2026-12-07T10:00:00.000Z [DEBUG] agent: hello: k=v") }
        #expect(parts.last == "2026-12-07T10:00:00.000Z [DEBUG] agent: hello: k=v\n")
        responder.cancel()
        #expect(h.local.logReaders.isEmpty)
        let bad = h.get("/v1/agent/monitor?loglevel=loud")
        #expect(bad.status == 400 && String(decoding: bad.response?.body ?? [], as: UTF8.self) == "Unknown log level: loud")
        #expect(h.local.logReaders.isEmpty)
    }

    @Test func jsonLines() {
        let line = LogLineJSON.convert("2026-12-07T10:00:00.000Z [INFO]  agent.server: started: port=8300")
        #expect(line == #"{"@timestamp":"2026-12-07T10:00:00.000Z","@level":"info","@module":"agent.server","@message":"started: port=8300"}"#)
    }
}
