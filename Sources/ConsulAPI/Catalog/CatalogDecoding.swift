/// A request body that does not fit the expected shape; becomes `400 Request decode failed: …`.
public struct DecodeFailure: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Field access the way Go's encoding/json decodes: case-insensitive names, and the
/// snake_case aliases Consul accepts.
public struct JSONFields {
    public let value: JSONValue
    public init(_ value: JSONValue) { self.value = value }

    public func raw(_ names: String...) -> JSONValue? {
        for n in names { if let v = value.member(n), !v.isNull { return v } }
        return nil
    }

    public func string(_ names: String...) throws(DecodeFailure) -> String? {
        guard let v = first(names) else { return nil }
        guard let s = v.stringValue else { throw DecodeFailure("json: cannot unmarshal \(v.goKind) into field \(names[0]) of type string") }
        return s
    }

    public func int(_ names: String...) throws(DecodeFailure) -> Int? {
        guard let v = first(names) else { return nil }
        guard let n = v.int64Value else { throw DecodeFailure("json: cannot unmarshal \(v.goKind) into field \(names[0]) of type int") }
        return Int(n)
    }

    public func bool(_ names: String...) throws(DecodeFailure) -> Bool? {
        guard let v = first(names) else { return nil }
        guard let b = v.boolValue else { throw DecodeFailure("json: cannot unmarshal \(v.goKind) into field \(names[0]) of type bool") }
        return b
    }

    public func strings(_ names: String...) throws(DecodeFailure) -> [String]? {
        guard let v = first(names) else { return nil }
        guard let list = v.arrayValue else { throw DecodeFailure("json: cannot unmarshal \(v.goKind) into field \(names[0]) of type []string") }
        var out: [String] = []
        for item in list {
            guard let s = item.stringValue else { throw DecodeFailure("json: cannot unmarshal \(item.goKind) into field \(names[0]) of type string") }
            out.append(s)
        }
        return out
    }

    public func stringMap(_ names: String...) throws(DecodeFailure) -> [String: String]? {
        guard let v = first(names) else { return nil }
        guard let members = v.objectValue else { throw DecodeFailure("json: cannot unmarshal \(v.goKind) into field \(names[0]) of type map[string]string") }
        var out: [String: String] = [:]
        for (k, item) in members {
            guard let s = item.stringValue else { throw DecodeFailure("json: cannot unmarshal \(item.goKind) into field \(names[0]) of type string") }
            out[k] = s
        }
        return out
    }

    public func object(_ names: String...) -> JSONFields? { first(names).flatMap { $0.objectValue != nil ? JSONFields($0) : nil } }

    private func first(_ names: [String]) -> JSONValue? {
        for n in names { if let v = value.member(n), !v.isNull { return v } }
        return nil
    }
}

extension JSONValue {
    /// Go's encoding/json name for this value's kind, as its unmarshal errors say it.
    public var goKind: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension NodeService {
    /// The service part of a catalog registration or an agent service definition.
    public static func decode(_ f: JSONFields) throws(DecodeFailure) -> NodeService {
        var s = NodeService()
        s.kind = try f.string("Kind") ?? ""
        s.service = try f.string("Service", "Name") ?? ""
        s.id = try f.string("ID") ?? ""
        s.tags = try f.strings("Tags") ?? []
        s.address = try f.string("Address") ?? ""
        s.meta = try f.stringMap("Meta") ?? [:]
        s.port = try f.int("Port") ?? 0
        s.enableTagOverride = try f.bool("EnableTagOverride", "enable_tag_override") ?? false
        if let proxy = f.object("Proxy") {
            s.proxyDestination = try proxy.string("DestinationServiceName", "destination_service_name") ?? ""
        }
        if let connect = f.object("Connect") { s.connectNative = try connect.bool("Native") ?? false }
        if let locality = f.object("Locality") {
            s.locality = ServiceLocality(region: try locality.string("Region") ?? "", zone: try locality.string("Zone") ?? "")
        }
        if let w = f.object("Weights") {
            s.weightsPassing = try w.int("Passing") ?? 1
            s.weightsWarning = try w.int("Warning") ?? 1
        }
        if let tagged = f.raw("TaggedAddresses", "tagged_addresses")?.objectValue {
            for (key, value) in tagged {
                let a = JSONFields(value)
                s.taggedAddresses[key] = ServiceAddress(address: try a.string("Address") ?? "", port: try a.int("Port") ?? 0)
            }
        }
        return s
    }
}

extension HealthCheck {
    /// A check as the catalog register endpoint receives it (data only; nothing runs it).
    public static func decode(_ f: JSONFields) throws(DecodeFailure) -> HealthCheck {
        var c = HealthCheck()
        c.node = try f.string("Node") ?? ""
        c.checkID = try f.string("CheckID", "ID") ?? ""
        c.name = try f.string("Name") ?? ""
        c.status = try f.string("Status") ?? ""
        c.notes = try f.string("Notes") ?? ""
        c.output = try f.string("Output") ?? ""
        c.serviceID = try f.string("ServiceID", "service_id") ?? ""
        c.type = try f.string("Type") ?? ""
        c.interval = try f.string("Interval") ?? ""
        c.timeout = try f.string("Timeout") ?? ""
        if let def = f.raw("Definition")?.objectValue {
            for (k, v) in def {
                switch v {
                case .string(let s): c.definition[k] = s
                case .number(let n): c.definition[k] = n
                case .bool(let b): c.definition[k] = b ? "true" : "false"
                default: break
                }
            }
        }
        return c
    }
}

extension RegisterRequest {
    public static func decode(_ body: JSONValue) throws(DecodeFailure) -> RegisterRequest {
        guard body.objectValue != nil else { throw DecodeFailure("json: cannot unmarshal \(body.goKind) into Go value of type structs.RegisterRequest") }
        let f = JSONFields(body)
        var r = RegisterRequest()
        r.node.id = try f.string("ID") ?? ""
        r.node.node = try f.string("Node") ?? ""
        r.node.address = try f.string("Address") ?? ""
        r.node.datacenter = try f.string("Datacenter") ?? ""
        r.node.taggedAddresses = try f.stringMap("TaggedAddresses", "tagged_addresses") ?? [:]
        r.node.meta = try f.stringMap("NodeMeta", "node_meta") ?? [:]
        r.skipNodeUpdate = try f.bool("SkipNodeUpdate") ?? false
        if let s = f.object("Service") { r.service = try NodeService.decode(s) }
        if let c = f.object("Check") { r.checks.append(try HealthCheck.decode(c)) }
        if let list = f.raw("Checks")?.arrayValue {
            for item in list where item.objectValue != nil { r.checks.append(try HealthCheck.decode(JSONFields(item))) }
        }
        return r
    }
}

extension DeregisterRequest {
    public static func decode(_ body: JSONValue) throws(DecodeFailure) -> DeregisterRequest {
        guard body.objectValue != nil else { throw DecodeFailure("json: cannot unmarshal \(body.goKind) into Go value of type structs.DeregisterRequest") }
        let f = JSONFields(body)
        return DeregisterRequest(node: try f.string("Node") ?? "", serviceID: try f.string("ServiceID") ?? "",
                                 checkID: try f.string("CheckID") ?? "")
    }
}
