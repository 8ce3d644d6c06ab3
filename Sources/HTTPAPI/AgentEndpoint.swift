import ConsulAPI
import HTTP1

/// `/v1/agent/self` and `/v1/agent/members`: the local agent's own view.
final class AgentEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func selfInfo(_ request: HTTPRequest, _ responder: Responder) {
        let agent = api.agent
        let pretty = api.config.prettyByDefault || request.query.has("pretty")
        var json = JSONWriter(pretty: pretty, reserve: 1024)
        json.beginObject()
        json.key("Config")
        json.beginObject()
        json.field("Datacenter", agent.datacenter)
        json.field("PrimaryDatacenter", agent.datacenter)
        json.field("NodeName", agent.nodeName)
        json.field("NodeID", agent.nodeID)
        json.field("Revision", ConsulVersion.revision)
        json.field("Server", agent.isServer)
        json.field("Version", ConsulVersion.version)
        json.field("BuildDate", ConsulVersion.buildDate)
        json.endObject()
        json.key("DebugConfig")
        json.beginObject()
        for (k, v) in agent.debugConfig { json.field(k, v) }
        json.endObject()
        json.key("Coord")
        CoordinateEndpoint.writeCoordinate(agent.localCoordinate
            ?? NodeCoordinate(node: agent.nodeName, vec: Array(repeating: 0, count: 8), error: 1.5, adjustment: 0, height: 1e-5), &json)
        json.key("Member")
        writeMember(agent.localMember, &json)
        json.key("Stats")
        json.beginObject()
        var sections: [(section: String, values: [(String, String)])] = [
            ("agent", [("check_monitors", "0"), ("services", "0")]),
            ("build", [("version", ConsulVersion.version), ("revision", ConsulVersion.revision), ("prerelease", ConsulVersion.prerelease)]),
        ]
        for extra in agent.stats {
            if let i = sections.firstIndex(where: { $0.section == extra.section }) { sections[i] = extra } else { sections.append(extra) }
        }
        for (section, values) in sections {
            json.key(section)
            json.beginObject()
            for (k, v) in values { json.field(k, v) }
            json.endObject()
        }
        json.endObject()
        json.key("Meta")
        json.beginObject()
        json.field("consul-network-segment", "")
        json.field("consul-version", ConsulVersion.version)
        json.endObject()
        // This build serves no xDS (no service mesh): no supported Envoy versions and no port
        // (-1, Consul's "disabled"), so a client that checks for mesh support learns the truth.
        json.key("xDS")
        json.beginObject()
        json.key("SupportedProxies")
        json.beginObject()
        json.key("envoy"); json.stringList([])
        json.endObject()
        json.field("Port", -1)
        json.key("Ports")
        json.beginObject()
        json.field("Plaintext", -1)
        json.field("TLS", -1)
        json.endObject()
        json.endObject()
        json.endObject()
        responder.respond(.json(&json))
    }

    func members(_ request: HTTPRequest, _ responder: Responder) {
        let pretty = api.config.prettyByDefault || request.query.has("pretty")
        // `?wan` counts only with a value (`?wan=1`).
        let wan = !(request.query["wan"] ?? "").isEmpty
        if wan, let segment = request.query["segment"], !segment.isEmpty, segment != "_all" {
            return responder.respond(.text(400, "Cannot provide a segment with wan=true"))
        }
        var json = JSONWriter(pretty: pretty, reserve: 512)
        json.beginArray()
        for member in wan ? api.agent.wanMembers : api.agent.lanMembers { writeMember(member, &json) }
        json.endArray()
        responder.respond(.json(&json))
    }

    private func writeMember(_ member: MemberInfo, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("Name", member.name)
        json.field("Addr", member.address)
        json.field("Port", member.port)
        json.key("Tags")
        json.beginObject()
        for (k, v) in member.tags { json.field(k, v) }
        json.endObject()
        json.field("Status", member.status)
        // memberlist protocol and serf delegate versions, as Consul reports them.
        json.field("ProtocolMin", 1)
        json.field("ProtocolMax", 5)
        json.field("ProtocolCur", 2)
        json.field("DelegateMin", 2)
        json.field("DelegateMax", 5)
        json.field("DelegateCur", 4)
        json.endObject()
    }
}
