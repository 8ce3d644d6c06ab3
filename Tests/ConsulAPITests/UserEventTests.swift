import ConsulAPI
import Testing

@Suite("UserEvent")
struct UserEventTests {
    /// Proves the list index is the XOR of the UUID's two 64-bit halves, and 1 for an empty list.
    @Test func indexIsXorOfUUIDHalves() {
        #expect(UserEvent.index(ofID: "46a4ed66-64c0-403d-a51a-d1c5a9bd5d44") == (0x46a4ed6664c0403d as UInt64) ^ (0xa51ad1c5a9bd5d44 as UInt64))
        #expect(UserEvent.index(ofID: "00000000-0000-0000-0000-000000000001") == 1)
        #expect(UserEvent.index(ofID: "not-a-uuid") == 0)
        #expect(UserEvent.listIndex([]) == 1)
        let events = [UserEvent(id: "00000000-0000-0000-0000-000000000005", name: "a"),
                      UserEvent(id: "00000000-0001-0000-0000-000000000000", name: "b")]
        #expect(UserEvent.listIndex(events) == 1 << 16)
    }

    /// Proves the JSON shape Consul returns: field order, base64 payload, null when empty.
    @Test func jsonShape() {
        var json = JSONWriter()
        UserEvent(id: "x", name: "deploy", payload: Array("hi".utf8), nodeFilter: "n", ltime: 7).write(to: &json)
        #expect(String(decoding: json.finish(), as: UTF8.self)
            == #"{"ID":"x","Name":"deploy","Payload":"aGk=","NodeFilter":"n","ServiceFilter":"","TagFilter":"","Version":1,"LTime":7}"#)
        var empty = JSONWriter()
        UserEvent(id: "y", name: "e").write(to: &empty)
        #expect(String(decoding: empty.finish(), as: UTF8.self).contains(#""Payload":null"#))
        let parsed = UserEvent(json: try! JSONParser.parse(#"{"ID":"x","Name":"deploy","Payload":"aGk=","LTime":3,"Version":1}"#))
        #expect(parsed == UserEvent(id: "x", name: "deploy", payload: Array("hi".utf8), ltime: 3))
    }

    /// Proves Consul's validation texts for missing name, tag without service and bad regexes.
    @Test func validation() {
        #expect(UserEvent(name: "").validationError() == "User event missing name")
        #expect(UserEvent(name: "a", tagFilter: "t").validationError() == "Cannot provide tag filter without service filter")
        #expect(UserEvent(name: "a", nodeFilter: "((").validationError()?.hasPrefix("Invalid node filter: ") == true)
        #expect(UserEvent(name: "a", serviceFilter: "[").validationError()?.hasPrefix("Invalid service filter: ") == true)
        #expect(UserEvent(name: "a", serviceFilter: "web", tagFilter: "(").validationError()?.hasPrefix("Invalid tag filter: ") == true)
        #expect(UserEvent(name: "a", nodeFilter: "^n[0-9]$", serviceFilter: "web", tagFilter: "v1").validationError() == nil)
    }

    /// Proves receivers filter like Consul: unanchored regexes on node name, service, and tags of matching services.
    @Test func filters() {
        let services: [(id: String, name: String, tags: [String])] = [("web-1", "web", ["v1", "blue"]), ("db", "db", [])]
        #expect(UserEvent(name: "e").matches(nodeName: "n1", services: []))
        #expect(UserEvent(name: "e", nodeFilter: "n").matches(nodeName: "n1", services: []))
        #expect(!UserEvent(name: "e", nodeFilter: "^x").matches(nodeName: "n1", services: []))
        #expect(UserEvent(name: "e", serviceFilter: "we").matches(nodeName: "n1", services: services))
        #expect(!UserEvent(name: "e", serviceFilter: "api").matches(nodeName: "n1", services: services))
        #expect(!UserEvent(name: "e", serviceFilter: "web").matches(nodeName: "n1", services: []))
        #expect(UserEvent(name: "e", serviceFilter: "web", tagFilter: "^blue$").matches(nodeName: "n1", services: services))
        #expect(!UserEvent(name: "e", serviceFilter: "db", tagFilter: "blue").matches(nodeName: "n1", services: services))
        #expect(!UserEvent(name: "e", nodeFilter: "n2", serviceFilter: "web").matches(nodeName: "n1", services: services))
    }
}
