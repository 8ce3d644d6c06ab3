import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Platform
import Testing

/// A clock whose time moves only when the test calls `advance`, firing due timers in deadline order.
final class ManualClock: EventLoopClock {
    private final class Timer: TimerHandle {
        let deadline: UInt64
        let sequence: Int
        var callback: (() -> Void)?
        init(deadline: UInt64, sequence: Int, callback: @escaping () -> Void) {
            self.deadline = deadline
            self.sequence = sequence
            self.callback = callback
        }
        func cancel() { callback = nil }
    }

    private(set) var now = Instant(nanoseconds: 1_000_000_000)
    private var timers: [Timer] = []
    private var sequence = 0

    var wallClockNanoseconds: Int64 { 1_764_088_572_000_000_000 + Int64(now.nanoseconds) }

    @discardableResult
    func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        sequence += 1
        let timer = Timer(deadline: now.nanoseconds + nanoseconds, sequence: sequence, callback: callback)
        timers.append(timer)
        return timer
    }

    /// Timers scheduled and neither fired nor cancelled.
    var pendingTimerCount: Int { timers.filter { $0.callback != nil }.count }

    /// Moves time forward by `nanoseconds`, running each timer that falls due at its own deadline.
    func advance(by nanoseconds: UInt64) {
        let target = now.nanoseconds + nanoseconds
        while true {
            timers.removeAll { $0.callback == nil }
            guard let next = timers.filter({ $0.deadline <= target })
                .min(by: { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }) else { break }
            now = Instant(nanoseconds: next.deadline)
            let callback = next.callback
            next.callback = nil
            callback?()
        }
        now = Instant(nanoseconds: target)
    }
}

/// A random source that always returns the same value, so jitter is chosen by the test.
final class FixedRandom: RandomSource {
    var value: UInt64
    init(_ value: UInt64 = 0) { self.value = value }
    func nextUInt64() -> UInt64 { value }
}

final class FakeAgent: AgentView {
    var nodeName = "node1"
    var nodeID = "11111111-2222-3333-4444-555555555555"
    var datacenter = "dc1"
    var isServer = true
    var leaderAddress = "127.0.0.1:8300"
    var raftPeers = ["127.0.0.1:8300"]
    var localMember: MemberInfo {
        MemberInfo(name: nodeName, address: "127.0.0.1", port: 8301, tags: [("role", "consul"), ("dc", datacenter)], status: 1)
    }
    var lanMembers: [MemberInfo] { [localMember] }
    var wanMembers: [MemberInfo] {
        [MemberInfo(name: "\(nodeName).\(datacenter)", address: "127.0.0.1", port: 8302, tags: localMember.tags, status: 1)]
    }
    var debugConfig: [(String, String)] = [("Datacenter", "dc1")]
    var coordinates: [NodeCoordinate] = []
    var lanCoordinates: [NodeCoordinate] { coordinates }
}

/// The dev backend's rules: every command applied at once at the next index; always the leader.
final class ImmediateBackend: ConsulBackend {
    let store = StateStore()
    var appliedCount = 0
    func apply(_ command: Command, completion: @escaping (Result<CommandResult, BackendError>) -> Void) {
        appliedCount += 1
        completion(.success(store.apply(command, at: store.index + 1)))
    }
    func prepareRead(_ consistency: Consistency, completion: @escaping (Result<QueryMeta, BackendError>) -> Void) {
        completion(.success(QueryMeta(knownLeader: true, lastContactMilliseconds: 0)))
    }
}

/// Records what a request was answered with, and how often.
final class Answer {
    var response: HTTPResponse?
    var count = 0
    var status: Int? { response?.status }
    var text: String? { response.map { String(decoding: $0.body, as: UTF8.self) } }
    func header(_ name: String) -> String? { response?.headers[name] }
    var index: UInt64? { header("X-Consul-Index").flatMap { UInt64($0) } }
    var answered: Bool { count > 0 }
}

/// One API over a fresh store, fake clock and fixed randomness.
final class APIHarness {
    let clock = ManualClock()
    let random = FixedRandom()
    let agent = FakeAgent()
    let backend = ImmediateBackend()
    let api: ConsulHTTPAPI
    var store: StateStore { backend.store }

    init(config: APIConfig = APIConfig()) {
        api = ConsulHTTPAPI(backend: backend, agent: agent, clock: clock, random: random, config: config)
    }

    /// Sends a request; the answer may arrive now or later (blocking queries).
    @discardableResult
    func send(_ method: String, _ target: String, body: String = "", headers: [(String, String)] = [],
              responder: ((Responder) -> Void)? = nil) -> Answer {
        send(method, target, bytes: Array(body.utf8), headers: headers, responder: responder)
    }

    /// A request as if from a client at `address` (what the connection records).
    @discardableResult
    func send(_ method: String, _ target: String, body: String = "", from address: String) -> Answer {
        send(method, target, bytes: Array(body.utf8), remoteAddress: address)
    }

    @discardableResult
    func send(_ method: String, _ target: String, bytes: [UInt8], headers: [(String, String)] = [],
              remoteAddress: String = "", responder keep: ((Responder) -> Void)? = nil) -> Answer {
        let answer = Answer()
        var request: HTTPRequest
        do {
            request = try HTTPRequest(method: method, target: target, headers: HTTPHeaders(headers), body: bytes)
            request.remoteAddress = remoteAddress
        } catch {
            Issue.record("bad target \(target): \(error)")
            return answer
        }
        let responder = Responder { response in
            answer.response = response
            answer.count += 1
        }
        keep?(responder)
        api.handle(request, responder)
        return answer
    }

    /// PUT that must succeed with `true`; returns the index the store reached.
    @discardableResult
    func put(_ key: String, _ value: String, sourceLocation: SourceLocation = #_sourceLocation) -> UInt64 {
        let answer = send("PUT", "/v1/kv/\(key)", body: value)
        #expect(answer.text == "true", sourceLocation: sourceLocation)
        return store.index
    }
}

/// Decodes a JSON response body into KV entries (empty when the body is not a JSON array of entries).
func entries(_ answer: Answer) -> [KVPair] {
    guard let body = answer.response?.body, let value = try? JSONParser.parse(body) else { return [] }
    return value.arrayValue?.compactMap { KVPair(json: $0) } ?? []
}

/// The string array of a `?keys` answer.
func keyList(_ answer: Answer) -> [String]? {
    guard let body = answer.response?.body, let value = try? JSONParser.parse(body) else { return nil }
    return value.arrayValue?.compactMap(\.stringValue)
}

/// The elements of a JSON array answer (empty when the body is not one).
func jsonArray(_ answer: Answer) -> [JSONValue] {
    guard let body = answer.response?.body, let value = try? JSONParser.parse(body) else { return [] }
    return value.arrayValue ?? []
}

/// A JSON object answer, nil when the body is not one.
func jsonObject(_ answer: Answer) -> JSONValue? {
    guard let body = answer.response?.body, let value = try? JSONParser.parse(body), value.objectValue != nil else { return nil }
    return value
}
