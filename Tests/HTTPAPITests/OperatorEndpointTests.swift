import ConsulAPI
import ConsulState
import HTTP1
@testable import HTTPAPI
import Platform
import Testing

/// A server whose Raft facts the test sets; records what the endpoints asked of it.
final class FakeOperator: OperatorAgent {
    var route: OperatorRoute = .local
    var stale: [Bool] = []
    var configuration = RaftConfigurationInfo(servers: [
        RaftServerInfo(id: "id-1", node: "s1", address: "10.0.0.1:8300", leader: true, voter: true, lastIndex: 42),
        RaftServerInfo(id: "id-2", node: "s2", address: "10.0.0.2:8300", leader: false, voter: true, lastIndex: 41),
    ], index: 7)
    var removed: [RaftPeerSelector] = []
    var removeError: HTTPResponseError?
    var transfers: [String?] = []
    var autopilotConfiguration = AutopilotConfiguration()
    var health = AutopilotHealthInfo(healthy: true, failureTolerance: 0, optimisticFailureTolerance: 0, leader: "id-1",
                                     voters: ["id-1", "id-2"], servers: [])

    func routeOperatorRequest(_ request: HTTPRequest, allowStale: Bool, completion: @escaping (OperatorRoute) -> Void) {
        stale.append(allowStale)
        completion(route)
    }
    func raftConfiguration() -> RaftConfigurationInfo { configuration }
    func removeRaftPeer(_ peer: RaftPeerSelector, completion: @escaping (HTTPResponseError?) -> Void) {
        removed.append(peer)
        completion(removeError)
    }
    func transferLeadership(to id: String?, completion: @escaping (HTTPResponseError?) -> Void) {
        transfers.append(id)
        completion(nil)
    }
    func setAutopilotConfiguration(_ configuration: AutopilotConfiguration, cas: UInt64?,
                                   completion: @escaping (Result<Bool, HTTPResponseError>) -> Void) {
        if let cas, cas != autopilotConfiguration.modifyIndex { return completion(.success(false)) }
        autopilotConfiguration = configuration
        autopilotConfiguration.modifyIndex += 1
        completion(.success(true))
    }
    func autopilotHealth() -> AutopilotHealthInfo { health }
    /// Snapshots are tested against the real server (SnapshotLiveTests); this fake has none.
    func saveSnapshot(completion: @escaping (Result<(index: UInt64, archive: [UInt8]), HTTPResponseError>) -> Void) {
        completion(.failure(HTTPResponseError(500, "no snapshots in this fake")))
    }
    func restoreSnapshot(_ archive: [UInt8], completion: @escaping (HTTPResponseError?) -> Void) {
        completion(HTTPResponseError(500, "no snapshots in this fake"))
    }
}

@Suite struct OperatorEndpointTests {
    let fake = FakeOperator()
    let api: ConsulHTTPAPI

    init() {
        api = ConsulHTTPAPI(backend: ImmediateBackend(), agent: FakeAgent(), clock: ManualClock(), random: FixedRandom(),
                            config: APIConfig(), operatorAgent: fake)
    }

    func send(_ method: String, _ target: String, body: String = "") -> Answer {
        let answer = Answer()
        let request = try! HTTPRequest(method: method, target: target, body: Array(body.utf8))
        api.handle(request, Responder { answer.response = $0; answer.count += 1 })
        return answer
    }

    func json(_ answer: Answer) -> JSONValue? {
        answer.response.flatMap { try? JSONParser.parse($0.body) }
    }

    /// The configuration renders Consul's field names (and its Index, always 0 since hashicorp/raft
    /// 1.1.2 stopped filling it); `?stale` lets any server answer.
    @Test func raftConfigurationShape() {
        let answer = send("GET", "/v1/operator/raft/configuration?stale")
        #expect(answer.status == 200)
        #expect(answer.text == #"{"Servers":[{"ID":"id-1","Node":"s1","Address":"10.0.0.1:8300","Leader":true,"ProtocolVersion":"3","Voter":true,"LastIndex":42},{"ID":"id-2","Node":"s2","Address":"10.0.0.2:8300","Leader":false,"ProtocolVersion":"3","Voter":true,"LastIndex":41}],"Index":0}"#)
        #expect(fake.stale == [true])
        _ = send("GET", "/v1/operator/raft/configuration")
        #expect(fake.stale == [true, false])
    }

    /// The leader's answer (or the no-leader error) is relayed as is.
    @Test func forwardedAnswerIsRelayed() {
        fake.route = .answered(.text(500, "No cluster leader"))
        let answer = send("GET", "/v1/operator/raft/configuration")
        #expect(answer.status == 500)
        #expect(answer.text == "No cluster leader")
    }

    /// remove-peer needs exactly one of id/address (400s with Consul's texts), else 200 empty.
    @Test func removePeerValidation() {
        let neither = send("DELETE", "/v1/operator/raft/peer")
        #expect(neither.status == 400)
        #expect(neither.text == "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove")
        let both = send("DELETE", "/v1/operator/raft/peer?id=a&address=b")
        #expect(both.status == 400)
        #expect(both.text == "Must specify only one of ?id or ?address")
        let ok = send("DELETE", "/v1/operator/raft/peer?address=10.0.0.2:8300")
        #expect(ok.status == 200)
        #expect(ok.text == "")
        #expect(fake.removed == [.address("10.0.0.2:8300")])
        fake.removeError = HTTPResponseError(500, "id \"nope\" was not found in the Raft configuration")
        let missing = send("DELETE", "/v1/operator/raft/peer?id=nope")
        #expect(missing.status == 500)
        #expect(missing.text == "id \"nope\" was not found in the Raft configuration")
        #expect(send("GET", "/v1/operator/raft/peer?id=x").status == 405)
    }

    /// transfer-leader is a POST answering `{"Success":true}`; `?id` is passed through.
    @Test func transferLeader() {
        let answer = send("POST", "/v1/operator/raft/transfer-leader?id=id-2")
        #expect(answer.text == #"{"Success":true}"#)
        _ = send("POST", "/v1/operator/raft/transfer-leader")
        #expect(fake.transfers == ["id-2", nil])
    }

    /// Defaults render as Consul's; a PUT starts from the defaults, takes durations as strings
    /// or nanoseconds, and honours `?cas`.
    @Test func autopilotConfiguration() {
        let get = send("GET", "/v1/operator/autopilot/configuration")
        #expect(get.text == #"{"CleanupDeadServers":true,"LastContactThreshold":"200ms","MaxTrailingLogs":250,"MinQuorum":0,"ServerStabilizationTime":"10s","RedundancyZoneTag":"","DisableUpgradeMigration":false,"UpgradeVersionTag":"","CreateIndex":0,"ModifyIndex":0}"#)
        let put = send("PUT", "/v1/operator/autopilot/configuration", body: #"{"cleanupdeadservers":false,"LastContactThreshold":"1s","ServerStabilizationTime":5000000000}"#)
        #expect(put.text == "true")
        #expect(fake.autopilotConfiguration.cleanupDeadServers == false)
        #expect(fake.autopilotConfiguration.lastContactThresholdNanos == 1_000_000_000)
        #expect(fake.autopilotConfiguration.serverStabilizationTimeNanos == 5_000_000_000)
        #expect(fake.autopilotConfiguration.maxTrailingLogs == 250)
        #expect(send("PUT", "/v1/operator/autopilot/configuration?cas=0", body: "{}").text == "false")
        #expect(send("PUT", "/v1/operator/autopilot/configuration?cas=1", body: "{}").text == "true")
        let bad = send("PUT", "/v1/operator/autopilot/configuration", body: #"{"MaxTrailingLogs":"many"}"#)
        #expect(bad.status == 400)
        #expect(bad.text?.hasPrefix("Error parsing autopilot config: ") == true)
        let badCAS = send("PUT", "/v1/operator/autopilot/configuration?cas=x", body: "{}")
        #expect(badCAS.status == 400)
        #expect(badCAS.text == #"Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax"#)
    }

    /// Health answers 429 while unhealthy; state keys servers by ID.
    @Test func autopilotHealthAndState() {
        fake.health.servers = [AutopilotServerInfo(id: "id-1", name: "s1", address: "10.0.0.1:8300", serfStatus: "alive",
                                                   version: "1.17.0", leader: true, voter: true, lastContactNanos: 0,
                                                   lastTerm: 2, lastIndex: 42, healthy: true,
                                                   stableSinceUnixNanos: 1_700_000_000_500_000_000)]
        let healthy = send("GET", "/v1/operator/autopilot/health")
        #expect(healthy.status == 200)
        #expect(json(healthy)?["Servers"]?.arrayValue?.first?["StableSince"]?.stringValue == "2023-11-14T22:13:20Z")
        #expect(json(healthy)?["Servers"]?.arrayValue?.first?["LastContact"]?.stringValue == "0s")
        fake.health.healthy = false
        #expect(send("GET", "/v1/operator/autopilot/health").status == 429)
        let state = json(send("GET", "/v1/operator/autopilot/state"))
        #expect(state?["Leader"]?.stringValue == "id-1")
        #expect(state?["Servers"]?["id-1"]?["Status"]?.stringValue == "leader")
        #expect(state?["Servers"]?["id-1"]?["StableSince"]?.stringValue == "2023-11-14T22:13:20.5Z")
        #expect(state?["Voters"]?.arrayValue?.count == 2)
    }

    /// Without a server behind the API, operator requests fail as on a client without servers.
    @Test func noServer() {
        let bare = ConsulHTTPAPI(backend: ImmediateBackend(), agent: FakeAgent(), clock: ManualClock(), random: FixedRandom(),
                                 config: APIConfig())
        let answer = Answer()
        bare.handle(try! HTTPRequest(method: "GET", target: "/v1/operator/raft/configuration"),
                    Responder { answer.response = $0; answer.count += 1 })
        #expect(answer.status == 500)
        #expect(answer.text == "No known Consul servers")
    }

    /// `Stats` carries the agent's extra sections next to the built-in build section.
    @Test func agentSelfStats() {
        final class StatsAgent: AgentView {
            var nodeName = "n", nodeID = "id", datacenter = "dc1", isServer = true, leaderAddress = "", raftPeers: [String] = []
            var localMember: MemberInfo { MemberInfo(name: "n", address: "127.0.0.1", port: 8301, tags: [], status: 1) }
            var lanMembers: [MemberInfo] { [] }
            var debugConfig: [(String, String)] { [] }
            var stats: [(section: String, values: [(String, String)])] { [("raft", [("state", "Leader")]), ("agent", [("services", "3")])] }
        }
        let withStats = ConsulHTTPAPI(backend: ImmediateBackend(), agent: StatsAgent(), clock: ManualClock(), random: FixedRandom(),
                                      config: APIConfig())
        let answer = Answer()
        withStats.handle(try! HTTPRequest(method: "GET", target: "/v1/agent/self"), Responder { answer.response = $0 })
        let stats = json(answer)?["Stats"]
        #expect(stats?["raft"]?["state"]?.stringValue == "Leader")
        #expect(stats?["agent"]?["services"]?.stringValue == "3")
        #expect(stats?["build"]?["version"] != nil)
    }
}
