import ConsulAPI
import HTTP1

/// `/v1/operator/raft/*` and `/v1/operator/autopilot/*` (http-api.md §9.2–9.3). Requests that
/// need the leader are routed there by the agent; `?stale` reads are answered by any server.
final class OperatorEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let server: OperatorAgent?

    init(api: ConsulHTTPAPI, server: OperatorAgent?) {
        self.api = api
        self.server = server
    }

    /// Runs `body` on the server that must answer (this one, or the leader's answer is relayed).
    private func onLeader(_ request: HTTPRequest, allowStale: Bool, _ responder: Responder,
                          _ body: @escaping (OperatorAgent) -> Void) {
        // A client agent forwards these paths to a server; without one there is nobody to ask.
        guard let server else { return responder.respond(.text(500, "No known Consul servers")) }
        server.routeOperatorRequest(request, allowStale: allowStale) { route in
            switch route {
            case .local: body(server)
            case .answered(let response): responder.respond(response)
            }
        }
    }

    // MARK: Raft

    func raftConfiguration(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        onLeader(request, allowStale: options.consistency == .stale, responder) { server in
            let configuration = server.raftConfiguration()
            var json = JSONWriter(pretty: options.pretty, reserve: 512)
            json.beginObject()
            json.key("Servers")
            json.beginArray()
            for s in configuration.servers {
                json.beginObject()
                json.field("ID", s.id)
                json.field("Node", s.node)
                json.field("Address", s.address)
                json.field("Leader", s.leader)
                json.field("ProtocolVersion", s.protocolVersion)
                json.field("Voter", s.voter)
                json.field("LastIndex", s.lastIndex)
                json.endObject()
            }
            json.endArray()
            // Consul's value: hashicorp/raft ≥ 1.1.2 answers GetConfiguration without its log
            // index, so every Consul server reports 0 here; clients compare against that.
            json.field("Index", 0)
            json.endObject()
            responder.respond(.json(&json))
        }
    }

    func removePeer(_ request: HTTPRequest, _ responder: Responder) {
        let hasID = request.query.has("id"), hasAddress = request.query.has("address")
        guard hasID || hasAddress else {
            return responder.respond(.text(400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"))
        }
        guard !(hasID && hasAddress) else {
            return responder.respond(.text(400, "Must specify only one of ?id or ?address"))
        }
        if let failure = api.checkDatacenter(datacenterOnly(request)) { return responder.respond(failure) }
        let peer: RaftPeerSelector = hasID ? .id(request.query["id"] ?? "") : .address(request.query["address"] ?? "")
        onLeader(request, allowStale: false, responder) { server in
            server.removeRaftPeer(peer) { error in
                responder.respond(error?.response ?? HTTPResponse(status: 200))
            }
        }
    }

    func transferLeader(_ request: HTTPRequest, _ responder: Responder) {
        let id = request.query["id"].flatMap { $0.isEmpty ? nil : $0 }
        let pretty = api.config.prettyByDefault || request.query.has("pretty")
        onLeader(request, allowStale: false, responder) { server in
            server.transferLeadership(to: id) { error in
                if let error { return responder.respond(error.response) }
                var json = JSONWriter(pretty: pretty, reserve: 24)
                json.beginObject()
                json.field("Success", true)
                json.endObject()
                responder.respond(.json(&json))
            }
        }
    }

    // MARK: Autopilot

    func autopilotConfiguration(_ request: HTTPRequest, _ responder: Responder) {
        if request.method == "PUT" { return setAutopilotConfiguration(request, responder) }
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        onLeader(request, allowStale: options.consistency == .stale, responder) { server in
            var json = JSONWriter(pretty: options.pretty, reserve: 320)
            OperatorEndpoint.write(server.autopilotConfiguration, &json)
            responder.respond(.json(&json))
        }
    }

    private func setAutopilotConfiguration(_ request: HTTPRequest, _ responder: Responder) {
        let configuration: AutopilotConfiguration
        switch OperatorEndpoint.decodeAutopilot(request.body) {
        case .success(let c): configuration = c
        case .failure(let e): return responder.respond(.text(400, "Error parsing autopilot config: \(e.message)"))
        }
        var cas: UInt64?
        if request.query.has("cas") {
            let text = request.query["cas"] ?? ""
            guard let value = UInt64(text) else {
                return responder.respond(.text(400, "Error parsing cas value: strconv.ParseUint: parsing \(goQuoted(text)): invalid syntax"))
            }
            cas = value
        }
        if let failure = api.checkDatacenter(datacenterOnly(request)) { return responder.respond(failure) }
        let pretty = api.config.prettyByDefault || request.query.has("pretty")
        onLeader(request, allowStale: false, responder) { server in
            server.setAutopilotConfiguration(configuration, cas: cas) { result in
                switch result {
                case .failure(let e): responder.respond(e.response)
                // Without `cas` the answer is always `true`, as in Consul.
                case .success(let stored): responder.respond(.jsonBool(cas == nil ? true : stored, pretty: pretty))
                }
            }
        }
    }

    func autopilotHealth(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        onLeader(request, allowStale: options.consistency == .stale, responder) { server in
            let health = server.autopilotHealth()
            var json = JSONWriter(pretty: options.pretty, reserve: 1024)
            json.beginObject()
            json.field("Healthy", health.healthy)
            json.field("FailureTolerance", health.failureTolerance)
            json.key("Servers")
            json.beginArray()
            for s in health.servers {
                json.beginObject()
                json.field("ID", s.id)
                json.field("Name", s.name)
                json.field("Address", s.address)
                json.field("SerfStatus", s.serfStatus)
                json.field("Version", s.version)
                json.field("Leader", s.leader)
                json.field("LastContact", GoDuration.format(s.lastContactNanos))
                json.field("LastTerm", s.lastTerm)
                json.field("LastIndex", s.lastIndex)
                json.field("Healthy", s.healthy)
                json.field("Voter", s.voter)
                // Consul rounds StableSince to the second here (not in /state).
                json.field("StableSince", rfc3339(unixNanos: s.stableSinceUnixNanos / 1_000_000_000 * 1_000_000_000))
                json.endObject()
            }
            json.endArray()
            json.endObject()
            // Consul answers 429 while any server is unhealthy, so load balancers can probe it.
            responder.respond(.json(&json, status: health.healthy ? 200 : 429))
        }
    }

    /// `/v1/operator/autopilot/state`: the open-source fields (no read replicas, redundancy
    /// zones or upgrade state — those are Enterprise features and Consul omits them when empty).
    func autopilotState(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        onLeader(request, allowStale: options.consistency == .stale, responder) { server in
            let health = server.autopilotHealth()
            var json = JSONWriter(pretty: options.pretty, reserve: 1024)
            json.beginObject()
            json.field("Healthy", health.healthy)
            json.field("FailureTolerance", health.failureTolerance)
            json.field("OptimisticFailureTolerance", health.optimisticFailureTolerance)
            json.key("Servers")
            json.beginObject()
            for s in health.servers.sorted(by: { $0.id < $1.id }) {
                json.key(s.id)
                json.beginObject()
                json.field("ID", s.id)
                json.field("Name", s.name)
                json.field("Address", s.address)
                json.field("NodeStatus", s.serfStatus)
                json.field("Version", s.version)
                json.field("LastContact", GoDuration.format(s.lastContactNanos))
                json.field("LastTerm", s.lastTerm)
                json.field("LastIndex", s.lastIndex)
                json.field("Healthy", s.healthy)
                json.field("StableSince", rfc3339(unixNanos: s.stableSinceUnixNanos))
                json.field("Status", s.status)
                json.key("Meta"); json.beginObject(); json.endObject()
                json.field("NodeType", "voter")
                json.endObject()
            }
            json.endObject()
            json.field("Leader", health.leader)
            json.key("Voters")
            json.beginArray()
            for v in health.voters { json.string(v) }
            json.endArray()
            json.endObject()
            responder.respond(.json(&json))
        }
    }

    // MARK: Encoding

    public static func write(_ c: AutopilotConfiguration, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("CleanupDeadServers", c.cleanupDeadServers)
        json.field("LastContactThreshold", GoDuration.format(c.lastContactThresholdNanos))
        json.field("MaxTrailingLogs", c.maxTrailingLogs)
        json.field("MinQuorum", c.minQuorum)
        json.field("ServerStabilizationTime", GoDuration.format(c.serverStabilizationTimeNanos))
        json.field("RedundancyZoneTag", c.redundancyZoneTag)
        json.field("DisableUpgradeMigration", c.disableUpgradeMigration)
        json.field("UpgradeVersionTag", c.upgradeVersionTag)
        json.field("CreateIndex", c.createIndex)
        json.field("ModifyIndex", c.modifyIndex)
        json.endObject()
    }

    public struct DecodeError: Error, Equatable {
        public let message: String
    }

    /// A PUT body over Consul's defaults (`api.NewAutopilotConfiguration`): names match
    /// case-insensitively, durations are Go strings or nanosecond numbers, unknown fields ignored.
    public static func decodeAutopilot(_ body: [UInt8]) -> Result<AutopilotConfiguration, DecodeError> {
        var c = AutopilotConfiguration()
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { return .failure(DecodeError(message: "\(error)")) }
        guard case .object = value else {
            return .failure(DecodeError(message: "json: cannot unmarshal value into Go value of type api.AutopilotConfiguration"))
        }
        func typeError(_ field: String, _ goType: String) -> DecodeError {
            DecodeError(message: "json: cannot unmarshal value into Go struct field AutopilotConfiguration.\(field) of type \(goType)")
        }
        func bool(_ name: String) -> Result<Bool?, DecodeError> {
            guard let v = value.member(name), !v.isNull else { return .success(nil) }
            guard let b = v.boolValue else { return .failure(typeError(name, "bool")) }
            return .success(b)
        }
        func uint(_ name: String) -> Result<UInt64?, DecodeError> {
            guard let v = value.member(name), !v.isNull else { return .success(nil) }
            guard let n = v.uint64Value else { return .failure(typeError(name, "uint64")) }
            return .success(n)
        }
        func string(_ name: String) -> Result<String?, DecodeError> {
            guard let v = value.member(name), !v.isNull else { return .success(nil) }
            guard let s = v.stringValue else { return .failure(typeError(name, "string")) }
            return .success(s)
        }
        func duration(_ name: String) -> Result<Int64?, DecodeError> {
            guard let v = value.member(name), !v.isNull else { return .success(nil) }
            if let n = v.int64Value { return .success(n) }
            if let s = v.stringValue {
                guard let n = GoDuration.parse(s) else { return .failure(DecodeError(message: "time: invalid duration \(goQuoted(s))")) }
                return .success(n)
            }
            return .failure(typeError(name, "api.ReadableDuration"))
        }
        do throws(DecodeError) {
            if let b = try bool("CleanupDeadServers").get() { c.cleanupDeadServers = b }
            if let d = try duration("LastContactThreshold").get() { c.lastContactThresholdNanos = d }
            if let n = try uint("MaxTrailingLogs").get() { c.maxTrailingLogs = n }
            if let n = try uint("MinQuorum").get() { c.minQuorum = n }
            if let d = try duration("ServerStabilizationTime").get() { c.serverStabilizationTimeNanos = d }
            if let s = try string("RedundancyZoneTag").get() { c.redundancyZoneTag = s }
            if let b = try bool("DisableUpgradeMigration").get() { c.disableUpgradeMigration = b }
            if let s = try string("UpgradeVersionTag").get() { c.upgradeVersionTag = s }
        } catch {
            return .failure(error)
        }
        return .success(c)
    }

    /// Only `dc` matters to the write endpoints; the other read options do not apply.
    private func datacenterOnly(_ request: HTTPRequest) -> QueryOptions {
        var options = QueryOptions()
        options.datacenter = request.query["dc"] ?? ""
        return options
    }
}

/// Go's `time.Time` JSON form (RFC 3339, UTC, fractional seconds without trailing zeros).
func rfc3339(unixNanos: Int64) -> String {
    let seconds = unixNanos >= 0 ? unixNanos / 1_000_000_000 : (unixNanos - 999_999_999) / 1_000_000_000
    let fraction = unixNanos - seconds * 1_000_000_000
    var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    // Howard Hinnant's civil-from-days.
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let dayOfEra = days - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var text = "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
    if fraction > 0 {
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        text += "." + digits
    }
    return text + "Z"
}
