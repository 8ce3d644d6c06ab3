import ConsulAPI
import HTTP1

/// A Vivaldi network coordinate as the API shows it.
public struct NodeCoordinate: Equatable, Sendable {
    public var node: String
    public var vec: [Double]
    public var error: Double
    public var adjustment: Double
    public var height: Double
    public init(node: String, vec: [Double], error: Double, adjustment: Double, height: Double) {
        self.node = node; self.vec = vec; self.error = error; self.adjustment = adjustment; self.height = height
    }
}

/// `/v1/coordinate/nodes`, `/v1/coordinate/node/<node>` and `/v1/coordinate/datacenters`. The
/// coordinates are the ones this server's gossip pools learned from probe acks (ours included),
/// not a replicated table: a departure from Consul, which batches agents' updates into Raft.
final class CoordinateEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func nodes(_ request: HTTPRequest, _ responder: Responder) {
        var json = JSONWriter(pretty: api.config.prettyByDefault || request.query.has("pretty"))
        write(api.agent.lanCoordinates, segment: true, &json)
        responder.respond(.json(&json, headers: HTTPHeaders([("X-Consul-Index", "1"), ("X-Consul-KnownLeader", "true"), ("X-Consul-LastContact", "0")])))
    }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/coordinate/node/".count))
        let found = api.agent.lanCoordinates.filter { $0.node == name }
        guard !found.isEmpty else { return responder.respond(HTTPResponse(status: 404)) }
        var json = JSONWriter(pretty: api.config.prettyByDefault || request.query.has("pretty"))
        write(found, segment: true, &json)
        responder.respond(.json(&json, headers: HTTPHeaders([("X-Consul-Index", "1")])))
    }

    func datacenters(_ request: HTTPRequest, _ responder: Responder) {
        var json = JSONWriter(pretty: api.config.prettyByDefault || request.query.has("pretty"))
        json.beginArray()
        for (dc, coordinates) in api.agent.wanCoordinates {
            json.beginObject()
            json.field("Datacenter", dc)
            json.field("AreaID", "wan")
            json.key("Coordinates")
            write(coordinates, segment: false, &json)
            json.endObject()
        }
        json.endArray()
        responder.respond(.json(&json))
    }

    private func write(_ coordinates: [NodeCoordinate], segment: Bool, _ json: inout JSONWriter) {
        json.beginArray()
        for c in coordinates {
            json.beginObject()
            json.field("Node", c.node)
            if segment { json.field("Segment", "") }
            json.key("Coord")
            CoordinateEndpoint.writeCoordinate(c, &json)
            json.endObject()
        }
        json.endArray()
    }

    static func writeCoordinate(_ c: NodeCoordinate, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("Vec"); json.beginArray(); for v in c.vec { json.rawNumber(goFloat(v)) }; json.endArray()
        json.key("Error"); json.rawNumber(goFloat(c.error))
        json.key("Adjustment"); json.rawNumber(goFloat(c.adjustment))
        json.key("Height"); json.rawNumber(goFloat(c.height))
        json.endObject()
    }
}

/// A float as Go's encoding/json writes it: shortest round-trip digits, plain notation for
/// 1e-6 ≤ |x| < 1e21, exponent form otherwise (`1e-07`).
func goFloat(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    if x == 0 { return "0" }
    let text = "\(x)"
    let magnitude = abs(x)
    guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
    let mantissa = String(text[..<e])
    let exponent = Int(text[text.index(after: e)...]) ?? 0
    if magnitude >= 1e-6 && magnitude < 1e21 {
        // Move the decimal point by hand.
        let negative = mantissa.hasPrefix("-")
        let digitsPart = negative ? String(mantissa.dropFirst()) : mantissa
        let pieces = digitsPart.split(separator: ".", omittingEmptySubsequences: false)
        let intDigits = String(pieces[0]), fracDigits = pieces.count > 1 ? String(pieces[1]) : ""
        var digits = intDigits + fracDigits
        var point = intDigits.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var result = String(digits.prefix(point))
        let fraction = String(digits.dropFirst(point)).replacingTrailingZeros()
        if !fraction.isEmpty { result += "." + fraction }
        return (negative ? "-" : "") + result
    }
    let sign = exponent < 0 ? "-" : "+"
    let mag = abs(exponent)
    let mant = mantissa.hasSuffix(".0") ? String(mantissa.dropLast(2)) : mantissa
    return "\(mant)e\(sign)\(mag < 10 ? "0" : "")\(mag)"
}

private extension String {
    func replacingTrailingZeros() -> String {
        var s = self
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
