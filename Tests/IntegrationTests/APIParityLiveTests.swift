import Foundation
import Glibc
import HTTP1
import Testing

/// HTTP API answers on a dev agent that match Consul 1.20's in status, body and headers:
/// unknown datacenters, the keyring without encryption, `/v1/agent/self` keys, unknown peers,
/// the raft configuration index, coordinate updates, usage, unknown gateways, and locality.
@Suite struct APIParityLiveTests {
    func text(_ r: HTTPClientResponse) -> String { r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) }

    func tail(_ agent: AgentProcess, lines: Int = 30) -> String {
        "\n--- agent log tail ---\n" + agent.log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    @Test func unknownDatacenterHasNoPath() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        for target in ["/v1/catalog/nodes", "/v1/catalog/services", "/v1/catalog/node/x", "/v1/catalog/service/x"] {
            let r = try HTTP.request("GET", target + "?dc=nowhere", port: agent.httpPort)
            #expect(r.status == 500, "GET \(target)?dc=nowhere: \(r.status) \(r.bodyText)")
            #expect(text(r) == "No path to datacenter", "GET \(target)?dc=nowhere: \(r.bodyText.debugDescription)")
        }
        let register = try HTTP.request("PUT", "/v1/catalog/register?dc=nowhere", port: agent.httpPort,
                                        body: Array(#"{"Node":"n","Address":"1.2.3.4"}"#.utf8))
        #expect(register.status == 500, "PUT /v1/catalog/register?dc=nowhere: \(register.status) \(register.bodyText)")
        #expect(text(register) == "No path to datacenter", "\(register.bodyText.debugDescription)")
        // Nothing was registered locally instead.
        let node = try HTTP.request("GET", "/v1/catalog/node/n", port: agent.httpPort)
        #expect(text(node) == "null", "node n: \(node.bodyText)")
        // A body naming the datacenter (as python-consul sends it) is routed by that name too.
        for (path, body) in [("/v1/catalog/register", #"{"Datacenter":"nowhere","Node":"n","Address":"1.2.3.4"}"#),
                             ("/v1/catalog/deregister", #"{"Datacenter":"nowhere","Node":"n"}"#)] {
            let r = try HTTP.request("PUT", path, port: agent.httpPort, body: Array(body.utf8))
            #expect(r.status == 500 && text(r) == "No path to datacenter", "PUT \(path): \(r.status) \(r.bodyText)")
        }
    }

    @Test func keyringWithoutEncryption() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let list = try HTTP.request("GET", "/v1/operator/keyring", port: agent.httpPort)
        #expect(list.status == 500, "GET /v1/operator/keyring: \(list.status) \(list.bodyText)")
        #expect(list.bodyText.contains("Keyring is empty (encryption not enabled)"), "\(list.bodyText)")
        let keygen = try runCLI(["keygen"])
        try #require(keygen.status == 0, "keygen: \(keygen.stderr)")
        let key = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let install = try HTTP.request("POST", "/v1/operator/keyring", port: agent.httpPort, body: Array(#"{"Key":"\#(key)"}"#.utf8))
        #expect(install.status == 500, "POST /v1/operator/keyring: \(install.status) \(install.bodyText)")
        #expect(install.bodyText.contains("encryption not enabled"), "\(install.bodyText)")
    }

    @Test func agentSelfHasDebugConfigAndXDS() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let r = try HTTP.request("GET", "/v1/agent/self", port: agent.httpPort)
        #expect(r.status == 200)
        let object = try #require(r.json as? [String: Any], "not a JSON object: \(r.bodyText.prefix(500))")
        #expect(object["DebugConfig"] is [String: Any], "keys: \(object.keys.sorted())")
        #expect(object["xDS"] is [String: Any], "keys: \(object.keys.sorted())")
    }

    @Test func unknownPeerFindsNothing() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        for path in ["/v1/health/service/consul", "/v1/catalog/service/consul"] {
            let present = pollValue(10, { () -> String in
                guard let r = try? HTTP.request("GET", path, port: agent.httpPort, timeoutMs: 5000), r.status == 200 else { return "" }
                return text(r)
            }, until: { !$0.isEmpty && $0 != "[]" })
            #expect(!present.isEmpty && present != "[]", "\(path) without ?peer: \(present.debugDescription)")
            let r = try HTTP.request("GET", path + "?peer=nope", port: agent.httpPort)
            #expect(r.status == 200, "\(path)?peer=nope: \(r.status) \(r.bodyText)")
            #expect(text(r) == "[]", "\(path)?peer=nope: \(r.bodyText.prefix(500))")
        }
    }

    @Test func raftConfigurationIndexIsZero() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let r = try HTTP.request("GET", "/v1/operator/raft/configuration", port: agent.httpPort)
        #expect(r.status == 200, "\(r.status) \(r.bodyText)")
        let object = try #require(r.json as? [String: Any], "\(r.bodyText)")
        #expect((object["Index"] as? NSNumber)?.intValue == 0, "\(r.bodyText)")
        #expect((object["Servers"] as? [Any])?.count == 1, "\(r.bodyText)")
    }

    @Test func coordinateUpdateIsStored() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let me = try HTTP.request("GET", "/v1/agent/self", port: agent.httpPort)
        let node = try #require(((me.json as? [String: Any])?["Config"] as? [String: Any])?["NodeName"] as? String, "\(me.bodyText)")
        let update = #"{"Node":"\#(node)","Coord":{"Vec":[0.1,0,0,0,0,0,0,0],"Error":1.5,"Adjustment":0,"Height":1e-5}}"#
        let put = try HTTP.request("PUT", "/v1/coordinate/update", port: agent.httpPort, body: Array(update.utf8))
        #expect(put.status == 200, "PUT /v1/coordinate/update: \(put.status) \(put.bodyText)")

        func firstVec(_ r: HTTPClientResponse?) -> Double? {
            guard let r, r.status == 200, let list = r.json as? [[String: Any]],
                  let coord = list.first?["Coord"] as? [String: Any], let vec = coord["Vec"] as? [Any] else { return nil }
            return (vec.first as? NSNumber)?.doubleValue
        }
        // Updates are batched into Raft: poll often, the agent's own update may follow later.
        let stored = pollValue(15, every: 100_000, {
            try? HTTP.request("GET", "/v1/coordinate/node/\(node)", port: agent.httpPort, timeoutMs: 5000)
        }, until: { firstVec($0) == 0.1 })
        #expect(firstVec(stored) == 0.1, "coordinate of \(node): \(stored.map { "\($0.status) \($0.bodyText)" } ?? "no answer")\(tail(agent))")
        if firstVec(stored) == 0.1 {
            #expect((stored?.index ?? 0) > 1, "X-Consul-Index: \(stored?.headers["X-Consul-Index"] ?? "absent")")
        }

        let short = #"{"Node":"\#(node)","Coord":{"Vec":[0.1,0,0],"Error":1.5,"Adjustment":0,"Height":1e-5}}"#
        let refused = try HTTP.request("PUT", "/v1/coordinate/update", port: agent.httpPort, body: Array(short.utf8))
        #expect(refused.status == 500, "3-dimensional coordinate: \(refused.status) \(refused.bodyText)")
        #expect(text(refused) == "incompatible coordinate", "\(refused.bodyText.debugDescription)")
    }

    @Test func operatorUsage() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let r = try HTTP.request("GET", "/v1/operator/usage", port: agent.httpPort)
        #expect(r.status == 200, "\(r.status) \(r.bodyText)")
        let dc1 = ((r.json as? [String: Any])?["Usage"] as? [String: Any])?["dc1"] as? [String: Any]
        #expect(dc1?["Services"] is NSNumber, "\(r.bodyText)")
        #expect(dc1?["ServiceInstances"] is NSNumber, "\(r.bodyText)")
        #expect(r.index != nil, "X-Consul-Index: \(r.headers["X-Consul-Index"] ?? "absent")")
    }

    @Test func unknownGatewayAndIngressService() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let gateway = try HTTP.request("GET", "/v1/catalog/gateway-services/nogw", port: agent.httpPort)
        #expect(gateway.status == 200, "\(gateway.status) \(gateway.bodyText)")
        #expect(text(gateway) == "null", "\(gateway.bodyText.debugDescription)")
        #expect(gateway.index != nil, "X-Consul-Index: \(gateway.headers["X-Consul-Index"] ?? "absent")")
        let ingress = try HTTP.request("GET", "/v1/health/ingress/nosvc", port: agent.httpPort)
        #expect(ingress.status == 200, "\(ingress.status) \(ingress.bodyText)")
        #expect(text(ingress) == "[]", "\(ingress.bodyText.debugDescription)")
        #expect(ingress.index != nil, "X-Consul-Index: \(ingress.headers["X-Consul-Index"] ?? "absent")")
    }

    @Test func serviceLocality() throws {
        let agent = try AgentProcess()
        defer { agent.stop() }
        let body = #"{"ID":"loc1","Name":"loc","Port":1,"Locality":{"Region":"us-east-1","Zone":"us-east-1a"}}"#
        let register = try HTTP.request("PUT", "/v1/agent/service/register", port: agent.httpPort, body: Array(body.utf8))
        try #require(register.status == 200, "register: \(register.status) \(register.bodyText)")

        let local = try HTTP.request("GET", "/v1/agent/service/loc1", port: agent.httpPort)
        let localLocality = (local.json as? [String: Any])?["Locality"] as? [String: Any]
        #expect(localLocality?["Region"] as? String == "us-east-1", "\(local.bodyText)")
        #expect(localLocality?["Zone"] as? String == "us-east-1a", "\(local.bodyText)")

        func catalogLocality() -> [String: Any]? {
            guard let r = try? HTTP.request("GET", "/v1/catalog/service/loc", port: agent.httpPort, timeoutMs: 5000),
                  let list = r.json as? [[String: Any]] else { return nil }
            return list.first?["ServiceLocality"] as? [String: Any]
        }
        let catalog = pollValue(10, catalogLocality, until: { $0?["Region"] as? String == "us-east-1" })
        let catalogBody = (try? HTTP.request("GET", "/v1/catalog/service/loc", port: agent.httpPort))?.bodyText ?? ""
        #expect(catalogBody.contains("\"ServiceLocality\""), "\(catalogBody)")
        #expect(catalog?["Region"] as? String == "us-east-1", "\(catalogBody)")
        #expect(catalog?["Zone"] as? String == "us-east-1a", "\(catalogBody)")

        let health = try HTTP.request("GET", "/v1/health/service/loc", port: agent.httpPort)
        let entry = (health.json as? [[String: Any]])?.first
        let healthLocality = (entry?["Service"] as? [String: Any])?["Locality"] as? [String: Any]
        #expect(healthLocality?["Zone"] as? String == "us-east-1a", "\(health.bodyText)")
        #expect(healthLocality?["Region"] as? String == "us-east-1", "\(health.bodyText)")
    }
}
