import ConsulAPI

/// A definition that could not be decoded; the HTTP API answers `400 Request decode failed: <message>`.
public struct CheckDecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension CheckType {
    /// Decodes a check object the way Consul's agent does: names match case-insensitively
    /// (Go's encoding/json) and with or without underscores, so both the API's PascalCase and
    /// config files' snake_case work (`script_args`, `tls_skip_verify`, `deregister_critical_service_after`);
    /// `Args`/`args`/`script_args` all mean ScriptArgs; durations are Go duration strings or numbers
    /// of nanoseconds. Unknown fields are ignored.
    public static func decode(_ value: JSONValue) throws(CheckDecodeError) -> CheckType {
        guard case .object = value else { throw CheckDecodeError("json: cannot unmarshal \(value.goKind) into Go value of type structs.CheckType") }
        let f = CheckFields(value)
        var c = CheckType()
        if let id = try f.string("CheckID") { c.checkID = id } else { c.checkID = try f.string("ID") ?? "" }
        c.name = try f.string("Name") ?? ""
        c.serviceID = try f.string("ServiceID") ?? ""
        c.status = try f.string("Status") ?? ""
        c.notes = try f.string("Notes") ?? ""
        // Consul takes ScriptArgs, then `args`, then `script_args` — the first non-empty one.
        for name in ["ScriptArgs", "Args"] where c.scriptArgs.isEmpty {
            c.scriptArgs = try f.strings(name) ?? []
        }
        c.http = try f.string("HTTP") ?? ""
        c.header = try f.header("Header") ?? [:]
        c.method = try f.string("Method") ?? ""
        c.body = try f.string("Body") ?? ""
        c.disableRedirects = try f.bool("DisableRedirects") ?? false
        c.tcp = try f.string("TCP") ?? ""
        c.tcpUseTLS = try f.bool("TCPUseTLS") ?? false
        c.udp = try f.string("UDP") ?? ""
        c.grpc = try f.string("GRPC") ?? ""
        c.grpcUseTLS = try f.bool("GRPCUseTLS") ?? false
        c.h2ping = try f.string("H2PING") ?? ""
        // H2PingUseTLS defaults to true when H2PING is set.
        c.h2pingUseTLS = try f.bool("H2PingUseTLS") ?? !c.h2ping.isEmpty
        c.osService = try f.string("OSService") ?? ""
        c.dockerContainerID = try f.string("DockerContainerID") ?? ""
        c.shell = try f.string("Shell") ?? ""
        c.aliasNode = try f.string("AliasNode") ?? ""
        c.aliasService = try f.string("AliasService") ?? ""
        c.tlsServerName = try f.string("TLSServerName") ?? ""
        c.tlsSkipVerify = try f.bool("TLSSkipVerify") ?? false
        c.intervalNanoseconds = try f.duration("Interval") ?? 0
        c.timeoutNanoseconds = try f.duration("Timeout") ?? 0
        c.ttlNanoseconds = try f.duration("TTL") ?? 0
        c.deregisterCriticalServiceAfterNanoseconds = try f.duration("DeregisterCriticalServiceAfter") ?? 0
        c.successBeforePassing = try f.int("SuccessBeforePassing") ?? 0
        c.failuresBeforeWarning = try f.int("FailuresBeforeWarning") ?? 0
        c.failuresBeforeCritical = try f.int("FailuresBeforeCritical") ?? 0
        c.outputMaxSize = try f.int("OutputMaxSize") ?? 0
        return c
    }
}

/// Field access for one JSON object with Consul's name matching. A `null` member counts as absent.
struct CheckFields {
    let members: [(String, JSONValue)]

    init(_ value: JSONValue) { members = value.objectValue ?? [] }

    /// Exact spelling first, then any spelling equal after lowercasing and dropping underscores.
    func raw(_ name: String) -> JSONValue? {
        if let exact = members.first(where: { $0.0 == name }) { return exact.1.isNull ? nil : exact.1 }
        let key = CheckFields.normalized(name)
        guard let found = members.first(where: { CheckFields.normalized($0.0) == key }) else { return nil }
        return found.1.isNull ? nil : found.1
    }

    static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" })
    }

    func string(_ name: String) throws(CheckDecodeError) -> String? {
        guard let v = raw(name) else { return nil }
        guard let s = v.stringValue else { throw mismatch(v, name, "string") }
        return s
    }

    func bool(_ name: String) throws(CheckDecodeError) -> Bool? {
        guard let v = raw(name) else { return nil }
        guard let b = v.boolValue else { throw mismatch(v, name, "bool") }
        return b
    }

    func int(_ name: String) throws(CheckDecodeError) -> Int? {
        guard let v = raw(name) else { return nil }
        guard case .number(let text) = v else { throw mismatch(v, name, "int") }
        guard let n = Int(text) else {
            throw CheckDecodeError("json: cannot unmarshal number \(text) into Go struct field CheckType.\(name) of type int")
        }
        return n
    }

    func strings(_ name: String) throws(CheckDecodeError) -> [String]? {
        guard let v = raw(name) else { return nil }
        guard let list = v.arrayValue else { throw mismatch(v, name, "[]string") }
        var out: [String] = []
        for item in list {
            guard let s = item.stringValue else { throw mismatch(item, name, "string") }
            out.append(s)
        }
        return out
    }

    func header(_ name: String) throws(CheckDecodeError) -> [String: [String]]? {
        guard let v = raw(name) else { return nil }
        guard let object = v.objectValue else { throw mismatch(v, name, "map[string][]string") }
        var out: [String: [String]] = [:]
        for (key, values) in object {
            if values.isNull { out[key] = []; continue }
            guard let list = values.arrayValue else { throw mismatch(values, name, "[]string") }
            var strings: [String] = []
            for item in list {
                guard let s = item.stringValue else { throw mismatch(item, name, "string") }
                strings.append(s)
            }
            out[key] = strings
        }
        return out
    }

    /// A Go duration string (`"10s"`) or a number of nanoseconds; other JSON types are ignored, as Consul does.
    func duration(_ name: String) throws(CheckDecodeError) -> Int64? {
        guard let v = raw(name) else { return nil }
        switch v {
        case .string(let text):
            guard let n = GoDuration.parse(text) else { throw CheckDecodeError("time: invalid duration \(goQuoted(text))") }
            return n
        case .number(let text):
            if let n = Int64(text) { return n }
            guard let d = Double(text), d.isFinite, abs(d) < 9.2e18 else {
                throw CheckDecodeError("json: cannot unmarshal number \(text) into Go struct field CheckType.\(name) of type time.Duration")
            }
            return Int64(d)
        default:
            return nil
        }
    }

    private func mismatch(_ v: JSONValue, _ name: String, _ type: String) -> CheckDecodeError {
        CheckDecodeError("json: cannot unmarshal \(v.goKind) into Go struct field CheckType.\(name) of type \(type)")
    }
}


