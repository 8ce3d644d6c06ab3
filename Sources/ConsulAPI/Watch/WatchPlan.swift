/// A watch as `consul watch` and the agent's `watches` define it (agent.md §2.3, §2.4): which
/// blocking endpoint to poll for a type and its parameters, and how the answer becomes the data
/// a handler receives. Pure: the blocking loop that uses it lives in `ConsulClient`.
public struct WatchPlan: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case key, keyprefix, services, nodes, service, checks, event
    }

    public var kind: Kind
    public var datacenter = ""
    public var token = ""
    public var stale = false
    public var filter = ""
    public var key = ""
    public var prefix = ""
    public var service = ""
    public var tags: [String] = []
    public var passingOnly = false
    public var state = ""
    public var name = ""
    /// Parameters the caller handles itself (`args`, `handler`, `handler_type`, `http_handler_config`).
    public var exempt: [(String, JSONValue)] = []

    public init(kind: Kind) { self.kind = kind }

    public static func == (a: WatchPlan, b: WatchPlan) -> Bool {
        a.kind == b.kind && a.datacenter == b.datacenter && a.token == b.token && a.stale == b.stale && a.filter == b.filter
            && a.key == b.key && a.prefix == b.prefix && a.service == b.service && a.tags == b.tags
            && a.passingOnly == b.passingOnly && a.state == b.state && a.name == b.name
            && a.exempt.count == b.exempt.count && zip(a.exempt, b.exempt).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// Consul's `watch.Parse`: generic keys, then the type's keys; anything left over is an error.
    /// `exempt` keys are kept for the caller. Messages are Consul's.
    public static func parse(_ params: [(String, JSONValue)], exempt exemptKeys: Set<String> = []) throws(WatchPlanError) -> WatchPlan {
        var rest = params
        func take(_ name: String) -> JSONValue? {
            guard let i = rest.firstIndex(where: { $0.0 == name }) else { return nil }
            return rest.remove(at: i).1
        }
        func string(_ name: String) throws(WatchPlanError) -> String {
            guard let v = take(name) else { return "" }
            guard let s = v.stringValue else { throw WatchPlanError("Expecting \(name) to be a string") }
            return s
        }
        func bool(_ name: String) throws(WatchPlanError) -> Bool {
            guard let v = take(name) else { return false }
            if let b = v.boolValue { return b }
            throw WatchPlanError("Expecting \(name) to be a boolean")
        }
        let datacenter = try string("datacenter")
        let token = try string("token")
        let typeName = try string("type")
        guard !typeName.isEmpty else { throw WatchPlanError("Watch type must be specified") }
        var exempt: [(String, JSONValue)] = []
        let handlerType = try string("handler_type")
        if !handlerType.isEmpty { exempt.append(("handler_type", .string(handlerType))) }
        if handlerType == "http" {
            guard let config = take("http_handler_config") else {
                throw WatchPlanError("Handler type 'http' requires 'http_handler_config' to be set")
            }
            guard config.objectValue != nil else {
                throw WatchPlanError("Failed to parse 'http_handler_config': expected an object")
            }
            exempt.append(("http_handler_config", config))
        }
        guard let kind = Kind(rawValue: typeName) else { throw WatchPlanError("Unsupported watch type: \(typeName)") }
        var plan = WatchPlan(kind: kind)
        plan.datacenter = datacenter
        plan.token = token
        plan.stale = try bool("stale")
        switch kind {
        case .key:
            plan.key = try string("key")
            if plan.key.isEmpty { throw WatchPlanError("Must specify a single key to watch") }
        case .keyprefix:
            plan.prefix = try string("prefix")
            if plan.prefix.isEmpty { throw WatchPlanError("Must specify a single prefix to watch") }
        case .services, .nodes:
            plan.filter = try string("filter")
        case .service:
            plan.filter = try string("filter")
            plan.service = try string("service")
            if plan.service.isEmpty { throw WatchPlanError("Must specify a single service to watch") }
            if let tag = take("tag") {
                if let s = tag.stringValue { plan.tags = [s] }
                else if let items = tag.arrayValue, items.allSatisfy({ $0.stringValue != nil }) { plan.tags = items.compactMap(\.stringValue) }
                else { throw WatchPlanError("Expecting tag to be a string or []string") }
            }
            plan.passingOnly = try bool("passingonly")
        case .checks:
            plan.filter = try string("filter")
            plan.service = try string("service")
            plan.state = try string("state")
            if !plan.service.isEmpty && !plan.state.isEmpty { throw WatchPlanError("Cannot specify service and state") }
            if plan.service.isEmpty && plan.state.isEmpty { plan.state = "any" }
        case .event:
            plan.name = try string("name")
        }
        for name in exemptKeys.sorted() { if let v = take(name) { exempt.append((name, v)) } }
        plan.exempt = exempt
        if !rest.isEmpty { throw WatchPlanError("Invalid parameters: [\(rest.map(\.0).joined(separator: " "))]") }
        return plan
    }

    /// The blocking request for the data newer than `index` (0: answer now).
    public func request(index: UInt64, waitNanoseconds: UInt64 = 0) -> (path: String, query: [(String, String?)]) {
        var query: [(String, String?)] = []
        let path: String
        switch kind {
        case .key: path = "/v1/kv/" + key
        case .keyprefix: path = "/v1/kv/" + prefix; query.append(("recurse", nil))
        case .services: path = "/v1/catalog/services"
        case .nodes: path = "/v1/catalog/nodes"
        case .service:
            path = "/v1/health/service/" + service
            for tag in tags { query.append(("tag", tag)) }
            if passingOnly { query.append(("passing", "1")) }
        case .checks: path = service.isEmpty ? "/v1/health/state/" + state : "/v1/health/checks/" + service
        case .event:
            path = "/v1/event/list"
            if !name.isEmpty { query.append(("name", name)) }
        }
        if !filter.isEmpty { query.append(("filter", filter)) }
        if !datacenter.isEmpty { query.append(("dc", datacenter)) }
        if stale { query.append(("stale", nil)) }
        if index > 0 {
            query.append(("index", String(index)))
            if waitNanoseconds > 0 { query.append(("wait", "\(waitNanoseconds / 1_000_000)ms")) }
        }
        return (path, query)
    }

    /// The data a handler gets from one answer. `previousIndex` is the index the request blocked
    /// on: an event watch passes only the events after the one that index names.
    public func result(status: Int, body: [UInt8], previousIndex: UInt64) throws(WatchPlanError) -> JSONValue {
        if status == 404 && (kind == .key || kind == .keyprefix) { return .null }
        guard status == 200 else {
            throw WatchPlanError("Unexpected response code: \(status) (\(String(decoding: body, as: UTF8.self)))")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { throw WatchPlanError("invalid response: \(error)") }
        switch kind {
        case .key:
            return json.arrayValue?.first ?? .null
        case .event:
            guard var events = json.arrayValue else { return json }
            if let i = events.firstIndex(where: { UserEvent.index(ofID: $0["ID"]?.stringValue ?? "") == previousIndex }) {
                events.removeFirst(i + 1)
            }
            return .array(events)
        default:
            return json
        }
    }
}

public struct WatchPlanError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Consul's watch plan bookkeeping: when an answer runs the handler. The handler runs on the
/// first answer, then only when the index changed and the data differs. An index that went
/// backwards resets the wait index to 0; a failed request forgets the index, so the next
/// answer runs the handler again.
public struct WatchProgress: Sendable {
    /// The index to block on next (nil before the first answer or after a failure).
    public private(set) var lastIndex: UInt64?
    private var lastResult: JSONValue?
    public private(set) var failures = 0

    public init() {}

    public var waitIndex: UInt64 { lastIndex ?? 0 }

    /// Records an answer; true when the handler should run with it.
    public mutating func observe(index: UInt64, result: JSONValue) -> Bool {
        failures = 0
        if let lastIndex, lastIndex == index { return false }
        let old = lastIndex
        if let old, old > index { lastIndex = 0 } else { lastIndex = index }
        if old != nil, lastResult == result { return false }
        lastResult = result
        return true
    }

    /// Records a failure; returns how long to wait before retrying (5 s × failures², ≤ 180 s).
    @discardableResult
    public mutating func failed() -> UInt64 {
        failures += 1
        lastIndex = nil
        let seconds = min(5 * UInt64(failures) * UInt64(failures), 180)
        return seconds * 1_000_000_000
    }
}
