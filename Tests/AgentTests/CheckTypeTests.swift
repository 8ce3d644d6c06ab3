import Agent
import ConsulAPI
import Testing

/// Check definitions decode as Consul's agent decodes them and validate with Consul's texts.
@Suite struct CheckTypeTests {
    private func decode(_ json: String) throws -> CheckType {
        try CheckType.decode(JSONParser.parse(json))
    }

    private func validationError(_ json: String) throws -> String? {
        let type = try decode(json)
        do { try type.validate(); return nil } catch { return error.httpText }
    }

    /// PascalCase API fields, Go duration strings and the header map all land in their fields.
    @Test func decodesPascalCaseDefinition() throws {
        let c = try decode("""
        {"ID":"web-http","Name":"web","ServiceID":"web1","Status":"passing","Notes":"n",
         "HTTP":"http://127.0.0.1:8080/health","Method":"POST","Body":"{}","DisableRedirects":true,
         "Header":{"X-A":["1","2"]},"Interval":"10s","Timeout":"1m30s","TLSSkipVerify":true,
         "TLSServerName":"web.local","SuccessBeforePassing":2,"FailuresBeforeWarning":1,"FailuresBeforeCritical":3,
         "DeregisterCriticalServiceAfter":"90m","OutputMaxSize":100}
        """)
        #expect(c.checkID == "web-http")
        #expect(c.name == "web")
        #expect(c.serviceID == "web1")
        #expect(c.status == "passing")
        #expect(c.http == "http://127.0.0.1:8080/health")
        #expect(c.method == "POST")
        #expect(c.body == "{}")
        #expect(c.disableRedirects)
        #expect(c.header == ["X-A": ["1", "2"]])
        #expect(c.intervalNanoseconds == 10_000_000_000)
        #expect(c.timeoutNanoseconds == 90_000_000_000)
        #expect(c.tlsSkipVerify)
        #expect(c.tlsServerName == "web.local")
        #expect(c.successBeforePassing == 2)
        #expect(c.failuresBeforeWarning == 1)
        #expect(c.failuresBeforeCritical == 3)
        #expect(c.deregisterCriticalServiceAfterNanoseconds == 90 * 60_000_000_000)
        #expect(c.outputMaxSize == 100)
        #expect(c.kind == .http)
    }

    /// Lowercase keys (py-consul) and snake_case aliases (config files) decode too.
    @Test func decodesLowercaseAndSnakeCase() throws {
        let c = try decode("""
        {"name":"db","serviceid":"db1","tcp":"127.0.0.1:5432","interval":"5s","timeout":"1s",
         "deregister_critical_service_after":"1m","tls_skip_verify":true,"tls_server_name":"x",
         "success_before_passing":1,"failures_before_critical":2,"grpc_use_tls":true}
        """)
        #expect(c.name == "db")
        #expect(c.serviceID == "db1")
        #expect(c.tcp == "127.0.0.1:5432")
        #expect(c.intervalNanoseconds == 5_000_000_000)
        #expect(c.deregisterCriticalServiceAfterNanoseconds == 60_000_000_000)
        #expect(c.tlsSkipVerify && c.grpcUseTLS)
        #expect(c.tlsServerName == "x")
        #expect(c.successBeforePassing == 1 && c.failuresBeforeCritical == 2)
        #expect(try decode(#"{"service_id":"s"}"#).serviceID == "s")
    }

    /// ScriptArgs has three spellings; `CheckID` and `ID` both name the check.
    @Test func scriptArgsAliasesAndIDs() throws {
        #expect(try decode(#"{"ScriptArgs":["a","b"]}"#).scriptArgs == ["a", "b"])
        #expect(try decode(#"{"Args":["c"]}"#).scriptArgs == ["c"])
        #expect(try decode(#"{"args":["d"]}"#).scriptArgs == ["d"])
        #expect(try decode(#"{"script_args":["e"]}"#).scriptArgs == ["e"])
        #expect(try decode(#"{"CheckID":"x"}"#).checkID == "x")
        #expect(try decode(#"{"ID":"y"}"#).checkID == "y")
        #expect(try decode(#"{"id":"z"}"#).checkID == "z")
    }

    /// Durations are Go duration strings or numbers of nanoseconds; a bad string is a decode error.
    @Test func durations() throws {
        #expect(try decode(#"{"TTL":"500ms"}"#).ttlNanoseconds == 500_000_000)
        #expect(try decode(#"{"TTL":15000000000}"#).ttlNanoseconds == 15_000_000_000)
        #expect(try decode(#"{"TTL":1.5e9}"#).ttlNanoseconds == 1_500_000_000)
        #expect(try decode(#"{"TTL":null}"#).ttlNanoseconds == 0)
        #expect(throws: CheckDecodeError("time: invalid duration \"10\"")) { try decode(#"{"Interval":"10"}"#) }
        #expect(throws: CheckDecodeError("time: invalid duration \"abc\"")) { try decode(#"{"TTL":"abc"}"#) }
    }

    /// Wrongly typed fields fail the way Go's decoder words it.
    @Test func typeMismatches() throws {
        #expect(throws: CheckDecodeError("json: cannot unmarshal number into Go struct field CheckType.HTTP of type string")) {
            try decode(#"{"HTTP":5}"#)
        }
        #expect(throws: CheckDecodeError("json: cannot unmarshal string into Go struct field CheckType.ScriptArgs of type []string")) {
            try decode(#"{"ScriptArgs":"ls"}"#)
        }
        #expect(throws: CheckDecodeError("json: cannot unmarshal string into Go struct field CheckType.Header of type []string")) {
            try decode(#"{"Header":{"A":"b"}}"#)
        }
        #expect(throws: CheckDecodeError("json: cannot unmarshal array into Go value of type structs.CheckType")) {
            try decode("[]")
        }
    }

    /// H2PingUseTLS defaults to true only when H2PING is set; an explicit false wins.
    @Test func h2pingTLSDefault() throws {
        #expect(try decode(#"{"H2PING":"a:1"}"#).h2pingUseTLS)
        #expect(try decode(#"{"H2PING":"a:1","h2ping_use_tls":false}"#).h2pingUseTLS == false)
        #expect(try decode(#"{}"#).h2pingUseTLS == false)
    }

    /// Every rule of Consul's CheckType.Validate, in its order, with its text.
    @Test func validationTexts() throws {
        #expect(try validationError(#"{"TTL":"10s","Interval":"10s"}"#) == "Invalid check: Interval and TTL cannot both be specified")
        #expect(try validationError(#"{"HTTP":"http://a"}"#)
            == "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks")
        #expect(try validationError(#"{"Args":["x"],"Interval":"0s"}"#)
            == "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks")
        #expect(try validationError(#"{"TCP":"a:1","Interval":"1s","AliasService":"web"}"#)
            == "Invalid check: Interval cannot be set for Alias checks")
        #expect(try validationError(#"{"AliasService":"web","TTL":"5s"}"#) == "Invalid check: TTL must be not be set for Alias checks")
        #expect(try validationError(#"{"Name":"x"}"#) == "Invalid check: TTL must be > 0 for TTL checks")
        #expect(try validationError(#"{"TTL":"10s","OutputMaxSize":-1}"#) == "Invalid check: MaxOutputMaxSize must be positive")
        #expect(try validationError(#"{"TTL":"10s","FailuresBeforeWarning":3,"FailuresBeforeCritical":2}"#)
            == "Invalid check: FailuresBeforeWarning can't be higher than FailuresBeforeCritical")
        #expect(try validationError(#"{"TTL":"10s"}"#) == nil)
        #expect(try validationError(#"{"AliasService":"web"}"#) == nil)
        #expect(try validationError(#"{"UDP":"a:53","Interval":"3s"}"#) == nil)
    }

    /// The kind follows Consul's Type() precedence; the initial status defaults to critical.
    @Test func kindAndInitialStatus() throws {
        #expect(try decode(#"{"GRPC":"a:1","HTTP":"http://a","Interval":"1s"}"#).kind == .grpc)
        #expect(try decode(#"{"TTL":"1s"}"#).kind == .ttl)
        #expect(try decode(#"{"UDP":"a:1","Interval":"1s"}"#).kind == .udp)
        #expect(try decode(#"{"AliasNode":"n2"}"#).kind == .alias)
        #expect(try decode(#"{"Args":["x"],"DockerContainerID":"c","Interval":"1s"}"#).kind == .docker)
        #expect(try decode(#"{"Args":["x"],"Interval":"1s"}"#).kind == .script)
        #expect(try decode(#"{"OSService":"x","Interval":"1s"}"#).kind?.rawValue == "os_service")
        #expect(try decode(#"{"TTL":"1s"}"#).initialStatus == "critical")
        #expect(try decode(#"{"TTL":"1s","Status":"warning"}"#).initialStatus == "warning")
    }
}
