import ConsulAPI
import Testing

private func parseError(_ items: [(String, JSONValue)]) -> String? {
    do { _ = try WatchPlan.parse(items); return nil } catch { return error.message }
}

@Suite("WatchPlan")
struct WatchPlanTests {
    /// Proves Consul's parse errors for missing type, unknown type, missing params, conflicts and leftovers.
    @Test func parseErrors() {
        #expect(parseError([]) == "Watch type must be specified")
        #expect(parseError([("type", .string("bogus"))]) == "Unsupported watch type: bogus")
        #expect(parseError([("type", .string("key"))]) == "Must specify a single key to watch")
        #expect(parseError([("type", .string("keyprefix"))]) == "Must specify a single prefix to watch")
        #expect(parseError([("type", .string("service"))]) == "Must specify a single service to watch")
        #expect(parseError([("type", .string("checks")), ("service", .string("a")), ("state", .string("any"))]) == "Cannot specify service and state")
        #expect(parseError([("type", .string("key")), ("key", .string("a")), ("bogus", .string("x"))]) == "Invalid parameters: [bogus]")
        #expect(parseError([("type", .string("key")), ("key", .bool(true))]) == "Expecting key to be a string")
        #expect(parseError([("type", .string("key")), ("key", .string("k")), ("handler_type", .string("http"))])
            == "Handler type 'http' requires 'http_handler_config' to be set")
    }

    /// Proves each type polls the endpoint Consul's watch functions use, with index, wait and filters.
    @Test func requests() throws {
        func req(_ items: [(String, JSONValue)], index: UInt64 = 0) throws -> String {
            let (path, query) = try WatchPlan.parse(items).request(index: index, waitNanoseconds: 2_000_000_000)
            let items: [String] = query.map { (name: String, value: String?) -> String in
                guard let value else { return name }
                return name + "=" + value
            }
            return path + "?" + items.joined(separator: "&")
        }
        #expect(try req([("type", .string("key")), ("key", .string("a/b"))]) == "/v1/kv/a/b?")
        #expect(try req([("type", .string("key")), ("key", .string("a"))], index: 9) == "/v1/kv/a?index=9&wait=2000ms")
        #expect(try req([("type", .string("keyprefix")), ("prefix", .string("p/"))]) == "/v1/kv/p/?recurse")
        #expect(try req([("type", .string("services")), ("stale", .bool(true))]) == "/v1/catalog/services?stale")
        #expect(try req([("type", .string("nodes")), ("datacenter", .string("dc2"))]) == "/v1/catalog/nodes?dc=dc2")
        #expect(try req([("type", .string("service")), ("service", .string("web")), ("tag", .array([.string("a"), .string("b")])),
                         ("passingonly", .bool(true))]) == "/v1/health/service/web?tag=a&tag=b&passing=1")
        #expect(try req([("type", .string("checks"))]) == "/v1/health/state/any?")
        #expect(try req([("type", .string("checks")), ("service", .string("web"))]) == "/v1/health/checks/web?")
        #expect(try req([("type", .string("event")), ("name", .string("deploy"))]) == "/v1/event/list?name=deploy")
    }

    /// Proves a key watch passes the single pair or null, and an event watch only events after the last seen one.
    @Test func results() throws {
        let key = try WatchPlan.parse([("type", .string("key")), ("key", .string("k"))])
        #expect(try key.result(status: 404, body: [], previousIndex: 0) == .null)
        let pair = try key.result(status: 200, body: Array(#"[{"Key":"k","Value":null}]"#.utf8), previousIndex: 0)
        #expect(pair["Key"]?.stringValue == "k")
        #expect(throws: WatchPlanError.self) { try key.result(status: 500, body: Array("boom".utf8), previousIndex: 0) }

        let events = try WatchPlan.parse([("type", .string("event"))])
        let body = Array(#"[{"ID":"00000000-0000-0000-0000-000000000001","Name":"a"},{"ID":"00000000-0000-0000-0000-000000000002","Name":"b"}]"#.utf8)
        #expect(try events.result(status: 200, body: body, previousIndex: 0).arrayValue?.count == 2)
        let newer = try events.result(status: 200, body: body, previousIndex: 1).arrayValue
        #expect(newer?.map { $0["Name"]?.stringValue } == ["b"])
    }

    /// Proves the handler rule: first answer fires, same index never, new index only with different data,
    /// a backwards index resets to 0, and a failure makes the next answer fire again.
    @Test func progressRules() {
        var p = WatchProgress()
        var fired: [Bool] = []
        fired.append(p.observe(index: 5, result: .string("a")))
        let afterFirst = p.waitIndex
        fired.append(p.observe(index: 5, result: .string("b")))
        fired.append(p.observe(index: 6, result: .string("a")))
        fired.append(p.observe(index: 7, result: .string("b")))
        fired.append(p.observe(index: 3, result: .string("b")))
        #expect(fired == [true, false, false, true, false])
        #expect(afterFirst == 5 && p.waitIndex == 0)
        let first = p.failed(), second = p.failed()
        #expect(first == 5_000_000_000 && second == 20_000_000_000)
        let afterFailure = p.observe(index: 8, result: .string("b"))
        #expect(afterFailure)
        for _ in 0..<10 { p.failed() }
        let capped = p.failed()
        #expect(capped == 180_000_000_000)
    }

    /// Proves the agent's watch definitions: handler kinds and Consul's errors for bad combinations.
    @Test func agentDefinitions() throws {
        func def(_ json: String) throws -> AgentWatchDefinition { try AgentWatchDefinition.parse(try JSONParser.parse(json)) }
        func err(_ json: String) -> String? {
            do { _ = try def(json); return nil } catch let e as WatchPlanError { return e.message } catch { return "\(error)" }
        }
        #expect(try def(#"{"type":"key","key":"k","args":["/bin/echo","x"]}"#).handler == .args(["/bin/echo", "x"]))
        #expect(try def(#"{"type":"event","handler":"cat"}"#).handler == .shell("cat"))
        let http = try def(#"{"type":"nodes","handler_type":"http","http_handler_config":{"path":"http://127.0.0.1:1/x","method":"put","timeout":"2s","header":{"A":["b"]}}}"#)
        guard case .http(let config) = http.handler else { Issue.record("expected http"); return }
        #expect(config.method == "PUT" && config.timeoutNanoseconds == 2_000_000_000 && config.headers.first?.1 == ["b"])
        #expect(err(#"{"type":"key","key":"k"}"#) == "Must define a watch handler")
        #expect(err(#"{"type":"key","key":"k","args":["a"],"handler":"b"}"#) == "Only one watch handler allowed")
        #expect(err(#"{"type":"key","key":"k","args":[1]}"#) == "Watch args must be a list of strings")
        #expect(err(#"{"type":"key","key":"k","handler_type":"exec","args":["a"]}"#) == "Handler type 'exec' not recognized")
        #expect(err(#"{"type":"connect_roots","args":["a"]}"#) == "Watch type connect_roots is not allowed in agent config")
        #expect(err(#"{"type":"bogus","args":["a"]}"#) == "Unsupported watch type: bogus")
    }
}
