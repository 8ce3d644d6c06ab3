import Foundation
import Glibc
import Testing

/// Prepared queries against the real binary: definitions over HTTP, execution with tags, health
/// and templates, the DNS forms, session binding, and failover to another datacenter.
@Suite struct PreparedQueryLiveTests {
    func call(_ agent: AgentProcess, _ method: String, _ target: String, _ body: String? = nil) throws -> (Int, JSONValueLite) {
        let r = try HTTP.request(method, target, port: agent.httpPort, body: body.map { Array($0.utf8) })
        return (r.status, JSONValueLite(r.body))
    }

    func register(_ agent: AgentProcess, _ json: String) throws {
        #expect(try HTTP.put("/v1/agent/service/register", port: agent.httpPort, body: json).status == 200)
    }

    func serviceIDs(_ result: JSONValueLite) -> [String] {
        (result["Nodes"]?.array ?? []).compactMap { $0["Service"]?["ID"]?.string }.sorted()
    }

    func dig(_ agent: AgentProcess, _ name: String, _ type: String) throws -> String {
        try runTool(["dig", "+short", "+time=2", "+tries=1", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!), name, type])
    }

    /// Proves create/list/get/update/delete, and execution: `!tag` exclusion, critical instances
    /// dropped, OnlyPassing dropping warnings, `limit`, explain, 404 for unknown names, and the
    /// DNS `<name>.query` and `_<name>._tcp.query` forms with the query's TTL.
    @Test func definitionsExecutionAndDNS() throws {
        let agent = try AgentProcess()
        try register(agent, #"{"Name":"redis","ID":"r1","Port":6001,"Tags":["primary"]}"#)
        try register(agent, #"{"Name":"redis","ID":"r2","Port":6002,"Tags":["replica"]}"#)
        try register(agent, #"{"Name":"redis","ID":"r3","Port":6003,"Tags":["replica"],"Check":{"TTL":"30s","Status":"warning"}}"#)
        try register(agent, #"{"Name":"redis","ID":"r4","Port":6004,"Check":{"TTL":"30s"}}"#)   // critical

        let (created, body) = try call(agent, "POST", "/v1/query",
            #"{"Name":"cache","Service":{"Service":"redis","Tags":["!primary"]},"DNS":{"TTL":"7s"}}"#)
        #expect(created == 200)
        let id = try #require(body["ID"]?.string)
        let (_, list) = try call(agent, "GET", "/v1/query")
        #expect(list.array?.count == 1)
        #expect(list.array?.first?["Name"]?.string == "cache")
        let (_, one) = try call(agent, "GET", "/v1/query/\(id)")
        #expect(one.array?.first?["Service"]?["Tags"]?.array?.first?.string == "!primary")

        let (status, result) = try call(agent, "GET", "/v1/query/cache/execute")
        #expect(status == 200)
        #expect(serviceIDs(result) == ["r2", "r3"], "primary excluded by tag, r4 critical")
        #expect(result["Datacenter"]?.string == "dc1")
        #expect(result["DNS"]?["TTL"]?.string == "7s")
        let (_, limited) = try call(agent, "GET", "/v1/query/\(id)/execute?limit=1")
        #expect(limited["Nodes"]?.array?.count == 1)

        // Update to OnlyPassing: the warning instance goes too.
        #expect(try call(agent, "PUT", "/v1/query/\(id)",
            #"{"Name":"cache","Service":{"Service":"redis","Tags":["!primary"],"OnlyPassing":true},"DNS":{"TTL":"7s"}}"#).0 == 200)
        #expect(serviceIDs(try call(agent, "GET", "/v1/query/cache/execute").1) == ["r2"])

        let srv = try dig(agent, "cache.query.consul", "SRV")
        #expect(srv.contains(" 6002 "), "\(srv)")
        #expect(!srv.contains(" 6001 ") && !srv.contains(" 6003 "))
        let rfc = try runTool(["dig", "+noall", "+answer", "@127.0.0.1", "-p", String(agent.ports["dns-port"]!),
                               "_cache._tcp.query.consul", "SRV"])
        #expect(rfc.contains("\t7\tIN\tSRV") || rfc.contains(" 7 IN SRV") || rfc.contains("7\tIN\tSRV"), "TTL from DNS.TTL: \(rfc)")
        #expect(try dig(agent, "nope.query.consul", "A").isEmpty)

        let (_, explained) = try call(agent, "GET", "/v1/query/cache/explain")
        #expect(explained["Query"]?["ID"]?.string == id)
        #expect(try call(agent, "GET", "/v1/query/nope/execute").0 == 404)
        #expect(try call(agent, "GET", "/v1/query/nope").0 == 404)

        #expect(try call(agent, "DELETE", "/v1/query/\(id)").0 == 200)
        #expect(try call(agent, "GET", "/v1/query").1.array?.isEmpty == true)
        #expect(try call(agent, "DELETE", "/v1/query/\(id)").0 == 500)
    }

    /// Proves a `name_prefix_match` template answers every name with its prefix, filling
    /// `${match(1)}` from the regexp; and malformed definitions are 400s.
    @Test func templatesAndBadDefinitions() throws {
        let agent = try AgentProcess()
        try register(agent, #"{"Name":"web","ID":"w1","Port":80}"#)
        #expect(try call(agent, "POST", "/v1/query",
            #"{"Name":"geo-","Template":{"Type":"name_prefix_match","Regexp":"^geo-(.+)$"},"Service":{"Service":"${match(1)}"}}"#).0 == 200)
        let (_, result) = try call(agent, "GET", "/v1/query/geo-web/execute")
        #expect(result["Service"]?.string == "web")
        #expect(serviceIDs(result) == ["w1"])
        let (_, explained) = try call(agent, "GET", "/v1/query/geo-web/explain")
        #expect(explained["Query"]?["Service"]?["Service"]?.string == "web")
        #expect(try dig(agent, "geo-web.query.consul", "SRV").contains(" 80 "))

        let (noService, _) = try call(agent, "POST", "/v1/query", #"{"Name":"x"}"#)
        #expect(noService == 400)
        #expect(try call(agent, "POST", "/v1/query", #"{"Name":"y","Template":{"Type":"bogus"},"Service":{"Service":"a"}}"#).0 == 400)
        #expect(try call(agent, "POST", "/v1/query", "{not json").0 == 400)
        #expect(try call(agent, "POST", "/v1/query", #"{"Name":"z","Session":"no-such","Service":{"Service":"a"}}"#).0 == 500)
        #expect(try call(agent, "POST", "/v1/query", #"{"Name":"dup","Service":{"Service":"a"}}"#).0 == 200)
        #expect(try call(agent, "POST", "/v1/query", #"{"Name":"dup","Service":{"Service":"b"}}"#).0 == 500)
    }

    /// Proves a query bound to a session is deleted when the session is destroyed.
    @Test func queriesDieWithTheirSession() throws {
        let agent = try AgentProcess()
        let deadline = Date().addingTimeInterval(10)
        var session = ""
        while session.isEmpty && Date() < deadline {
            let (status, body) = try call(agent, "PUT", "/v1/session/create", "{}")
            if status == 200 { session = body["ID"]?.string ?? "" } else { usleep(100_000) }
        }
        #expect(!session.isEmpty)
        #expect(try call(agent, "POST", "/v1/query", #"{"Name":"bound","Session":"\#(session)","Service":{"Service":"a"}}"#).0 == 200)
        #expect(try call(agent, "GET", "/v1/query").1.array?.count == 1)
        #expect(try call(agent, "PUT", "/v1/session/destroy/\(session)").0 == 200)
        #expect(try call(agent, "GET", "/v1/query").1.array?.isEmpty == true)
    }

    /// Proves a query with no healthy local instances fails over to a listed datacenter over the WAN.
    @Test func failsOverToAnotherDatacenter() throws {
        func tempDir() throws -> String {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consul-pq-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }
        let east = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-datacenter", "east", "-node", "e1",
                                                "-data-dir", try tempDir(), "-bind", "127.0.0.1"], dev: false)
        let west = try AgentProcess(extraArgs: ["-server", "-bootstrap", "-datacenter", "west", "-node", "w1",
                                                "-data-dir", try tempDir(), "-bind", "127.0.0.1",
                                                "-retry-join-wan", "127.0.0.1:\(east.ports["serf-wan-port"]!)"], dev: false)
        try register(west, #"{"Name":"db","ID":"db-west","Port":5432}"#)
        var created = 0
        let deadline = Date().addingTimeInterval(30)
        while created != 200 && Date() < deadline {
            created = (try? call(east, "POST", "/v1/query", #"{"Name":"db","Service":{"Service":"db","Failover":{"Datacenters":["west"]}}}"#).0) ?? 0
            if created != 200 { usleep(200_000) }
        }
        #expect(created == 200)
        var result = JSONValueLite([])
        while Date() < deadline {
            result = try call(east, "GET", "/v1/query/db/execute").1
            if result["Nodes"]?.array?.isEmpty == false { break }
            usleep(200_000)
        }
        #expect(serviceIDs(result) == ["db-west"])
        #expect(result["Datacenter"]?.string == "west")
        #expect(result["Failovers"]?.int == 1)
        // DNS fails over too: east has no db, its answer comes from west.
        #expect(try dig(east, "db.query.consul", "A") == "127.0.0.1\n")
        #expect(try dig(east, "db.query.consul", "SRV").hasPrefix("1 1 5432 "))
    }
}

/// Just enough JSON reading for these tests (Foundation's JSONSerialization).
struct JSONValueLite {
    let value: Any?
    init(_ bytes: [UInt8]) { value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) }
    init(any: Any?) { value = any }
    subscript(key: String) -> JSONValueLite? {
        guard let dict = value as? [String: Any], let v = dict[key] else { return nil }
        return JSONValueLite(any: v)
    }
    var array: [JSONValueLite]? { (value as? [Any])?.map { JSONValueLite(any: $0) } }
    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber)?.intValue }
}
