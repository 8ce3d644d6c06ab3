import Foundation
import Testing

/// `/v1/txn` over real sockets against the real binary: every KV verb and the Node, Service and
/// Check verbs, each observed through the answer and through the ordinary read endpoints; a
/// transaction with failing operations applies nothing and names each failure.
@Suite struct TxnLiveTests {
    struct Answer {
        let status: Int
        let json: [String: Any]
        var results: [[String: Any]] { json["Results"] as? [[String: Any]] ?? [] }
        var errors: [[String: Any]] { json["Errors"] as? [[String: Any]] ?? [] }
    }

    func txn(_ agent: AgentProcess, _ ops: [String]) throws -> Answer {
        let r = try HTTP.request("PUT", "/v1/txn", port: agent.httpPort, body: Array(("[" + ops.joined(separator: ",") + "]").utf8))
        return Answer(status: r.status, json: (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:])
    }

    func kv(_ verb: String, _ key: String, value: String? = nil, index: Int? = nil, session: String? = nil) -> String {
        var fields = [#""Verb":"\#(verb)""#, #""Key":"\#(key)""#]
        if let value { fields.append(#""Value":"\#(Data(value.utf8).base64EncodedString())""#) }
        if let index { fields.append(#""Index":\#(index)"#) }
        if let session { fields.append(#""Session":"\#(session)""#) }
        return #"{"KV":{"# + fields.joined(separator: ",") + "}}"
    }

    func raw(_ agent: AgentProcess, _ key: String) -> String? {
        guard let r = try? HTTP.get("/v1/kv/\(key)?raw", port: agent.httpPort), r.status == 200 else { return nil }
        return String(decoding: r.body, as: UTF8.self)
    }

    func modifyIndex(_ answer: Answer, _ i: Int) -> Int { (answer.results[i]["KV"] as? [String: Any])?["ModifyIndex"] as? Int ?? -1 }

    @Test func everyVerb() throws {
        let agent = try AgentProcess()
        // A session for the lock verbs (the dev agent's node needs a moment to be registered).
        var session = ""
        for _ in 0..<100 where session.isEmpty {
            let r = try HTTP.request("PUT", "/v1/session/create", port: agent.httpPort, body: Array("{}".utf8))
            if r.status == 200 { session = ((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])?["ID"] as? String ?? "" }
            else { usleep(100_000) }
        }
        #expect(!session.isEmpty)

        // set, cas (create), lock, get, get-tree, check-not-exists in one transaction.
        let first = try txn(agent, [kv("set", "t/a", value: "1"), kv("cas", "t/b", value: "2", index: 0),
                                    kv("lock", "t/c", value: "3", session: session), kv("get", "t/a"),
                                    kv("get-tree", "t/"), kv("check-not-exists", "t/zzz")])
        #expect(first.status == 200, "\(first.json)")
        #expect(first.results.count == 7, "set, cas, lock, get, three get-tree entries; check-not-exists adds none")
        #expect((first.results[0]["KV"] as? [String: Any])?["Value"] is NSNull, "write verbs answer without the value")
        #expect((first.results[3]["KV"] as? [String: Any])?["Value"] as? String == Data("1".utf8).base64EncodedString())
        #expect(raw(agent, "t/a") == "1" && raw(agent, "t/b") == "2" && raw(agent, "t/c") == "3")
        let aIndex = modifyIndex(first, 0)
        let bIndex = modifyIndex(first, 1)

        // check-index, check-session, cas (update), unlock, delete-cas, delete, delete-tree.
        let second = try txn(agent, [kv("check-index", "t/a", index: aIndex), kv("check-session", "t/c", session: session),
                                     kv("cas", "t/a", value: "1b", index: aIndex), kv("unlock", "t/c", value: "3b", session: session),
                                     kv("delete-cas", "t/b", index: bIndex), kv("set", "u/x", value: "x"), kv("set", "u/y", value: "y")])
        #expect(second.status == 200, "\(second.json)")
        #expect(raw(agent, "t/a") == "1b")
        #expect(raw(agent, "t/b") == nil)
        #expect(raw(agent, "t/c") == "3b")
        let third = try txn(agent, [kv("delete", "t/a"), kv("delete-tree", "u/")])
        #expect(third.status == 200 && third.results.isEmpty, "\(third.json)")
        #expect(raw(agent, "t/a") == nil && raw(agent, "u/x") == nil && raw(agent, "u/y") == nil)

        // Node, Service and Check verbs.
        let catalog = try txn(agent, [
            #"{"Node":{"Verb":"set","Node":{"Node":"txn-n1","Address":"10.1.1.1"}}}"#,
            #"{"Service":{"Verb":"set","Node":"txn-n1","Service":{"ID":"s1","Service":"svc","Port":80}}}"#,
            #"{"Check":{"Verb":"set","Check":{"Node":"txn-n1","CheckID":"c1","Name":"c1","Status":"passing","ServiceID":"s1"}}}"#,
            #"{"Node":{"Verb":"get","Node":{"Node":"txn-n1"}}}"#,
            #"{"Service":{"Verb":"get","Node":"txn-n1","Service":{"ID":"s1"}}}"#,
            #"{"Check":{"Verb":"get","Check":{"Node":"txn-n1","CheckID":"c1"}}}"#])
        #expect(catalog.status == 200, "\(catalog.json)")
        #expect(catalog.results.count == 6)
        let health = try HTTP.get("/v1/health/service/svc?passing", port: agent.httpPort).json as? [[String: Any]]
        #expect(health?.count == 1)
        let nodeIndex = (catalog.results[0]["Node"] as? [String: Any])?["ModifyIndex"] as? Int ?? 0
        let serviceIndex = (catalog.results[1]["Service"] as? [String: Any])?["ModifyIndex"] as? Int ?? 0
        let checkIndex = (catalog.results[2]["Check"] as? [String: Any])?["ModifyIndex"] as? Int ?? 0
        // (The check goes first: updating its service restamps the service's checks.)
        let casCatalog = try txn(agent, [
            #"{"Check":{"Verb":"delete-cas","Check":{"Node":"txn-n1","CheckID":"c1","ModifyIndex":\#(checkIndex)}}}"#,
            #"{"Node":{"Verb":"cas","Node":{"Node":"txn-n1","Address":"10.1.1.2","ModifyIndex":\#(nodeIndex)}}}"#,
            #"{"Service":{"Verb":"cas","Node":"txn-n1","Service":{"ID":"s1","Service":"svc","Port":81,"ModifyIndex":\#(serviceIndex)}}}"#])
        let node = try HTTP.get("/v1/catalog/node/txn-n1", port: agent.httpPort).json as? [String: Any]
        #expect((node?["Node"] as? [String: Any])?["Address"] as? String == "10.1.1.2")
        #expect(((node?["Services"] as? [String: Any])?["s1"] as? [String: Any])?["Port"] as? Int == 81)
        #expect(((try HTTP.get("/v1/health/node/txn-n1", port: agent.httpPort).json as? [Any]) ?? [1]).isEmpty)
        #expect(casCatalog.status == 200, "\(casCatalog.json)")
        let deletes = try txn(agent, [
            #"{"Service":{"Verb":"delete","Node":"txn-n1","Service":{"ID":"s1"}}}"#,
            #"{"Check":{"Verb":"delete","Check":{"Node":"txn-n1","CheckID":"nope"}}}"#,
            #"{"Node":{"Verb":"delete","Node":{"Node":"txn-n1"}}}"#])
        #expect(deletes.status == 200, "\(deletes.json)")
        #expect(try HTTP.get("/v1/catalog/node/txn-n1", port: agent.httpPort).bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "null")

        // A failing transaction applies nothing and reports every failing operation.
        #expect(try txn(agent, [kv("set", "keep", value: "v")]).status == 200)
        let failing = try txn(agent, [kv("set", "keep", value: "changed"), kv("set", "fresh", value: "new"),
                                      kv("get", "missing"), kv("cas", "keep", value: "x", index: 1),
                                      kv("delete-cas", "keep", index: 1), kv("check-not-exists", "keep"),
                                      kv("unlock", "keep", session: session), kv("bogus", "keep"),
                                      #"{"Node":{"Verb":"delete-cas","Node":{"Node":"nobody","ModifyIndex":5}}}"#])
        #expect(failing.status == 409)
        #expect(failing.json["Results"] is NSNull)
        let failed = failing.errors.map { $0["OpIndex"] as? Int ?? -1 }
        #expect(failed == [2, 3, 4, 5, 6, 7, 8], "\(failing.errors)")
        #expect(failing.errors.first?["What"] as? String == #"key "missing" doesn't exist"#)
        #expect(raw(agent, "keep") == "v")
        #expect(raw(agent, "fresh") == nil)
    }
}
