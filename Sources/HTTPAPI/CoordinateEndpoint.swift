import ConsulAPI
import HTTP1

/// `/v1/coordinate/nodes`, `/v1/coordinate/node/<node>`, `/v1/coordinate/update` and
/// `/v1/coordinate/datacenters`. Node coordinates are the replicated table agents write through
/// Raft (blocking reads follow its index); datacenters' come from this server's WAN pool, as
/// Consul's router keeps them.
final class CoordinateEndpoint {
    private unowned let api: ConsulHTTPAPI
    init(api: ConsulHTTPAPI) { self.api = api }

    func nodes(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            var json = JSONWriter(pretty: options.pretty)
            self.write(store.allCoordinates(), segment: true, &json)
            return self.api.result(&json, index: store.coordinatesIndex, watched: [.coordinates], meta: meta, options: options)
        }
    }

    func node(_ request: HTTPRequest, _ responder: Responder) {
        let name = String(request.path.dropFirst("/v1/coordinate/node/".count))
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        api.read(options, responder) { store, meta in
            guard let found = store.coordinate(of: name) else {
                var response = HTTPResponse(status: 404)
                response.setQueryMeta(index: store.coordinatesIndex, meta: meta, consistency: options.consistency)
                return QueryResult(response: response, index: store.coordinatesIndex, watched: [.coordinates])
            }
            var json = JSONWriter(pretty: options.pretty)
            self.write([found], segment: true, &json)
            return self.api.result(&json, index: store.coordinatesIndex, watched: [.coordinates], meta: meta, options: options)
        }
    }

    /// `PUT /v1/coordinate/update`: one node's coordinate into the replicated table (dropped by
    /// the state machine when the catalog has no such node, as Consul drops it).
    func update(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        if let failure = api.checkDatacenter(options) { return responder.respond(failure) }
        guard let body = api.jsonBody(request, responder) else { return }
        let fields = JSONFields(body)
        guard let node = (try? fields.string("Node")) ?? nil, !node.isEmpty else {
            return responder.respond(.text(400, "Request decode failed: missing Node"))
        }
        guard let coord = fields.object("Coord") else { return responder.respond(.text(400, "Request decode failed: missing Coord")) }
        func number(_ name: String) -> Double? { coord.raw(name)?.doubleValue }
        let vec = coord.raw("Vec")?.arrayValue?.compactMap(\.doubleValue) ?? []
        let coordinate = NodeCoordinate(node: node, vec: vec, error: number("Error") ?? 0,
                                        adjustment: number("Adjustment") ?? 0, height: number("Height") ?? 0)
        if let reason = coordinate.validationError { return responder.respond(.text(500, reason)) }
        api.backend.apply(.coordinateBatchUpdate([coordinate])) { outcome in
            switch outcome {
            case .failure(let error): responder.respond(.text(500, error.message))
            case .success(.failure(let reason)): responder.respond(.text(500, reason))
            case .success: responder.respond(HTTPResponse(status: 200))
            }
        }
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
