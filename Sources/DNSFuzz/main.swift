// Fuzz harness for the DNS codec and responder (`make fuzz` → scripts/fuzz.sh dns).
//
// Each input is one datagram as a client could send it to the agent's DNS port:
//   - DNSParser.parse never traps, whatever the bytes;
//   - a message it accepts re-serializes (compressed and not) to bytes that parse back equal;
//   - the responder's answer to it (UDP and TCP, with and without recursors) is itself a message
//     the parser accepts, with the query's ID, QR set, and within the transport's size limit
//     whenever the question section alone fits;
//   - bytes the parser refuses (a header, not a response) get FORMERR from the responder.
// A broken invariant stops the process with a message (`invariant`, FuzzDriver); libFuzzer reports
// it as a crash and saves the input.
// The driver and the replay build come from FuzzDriver.
import ConsulAPI
import DNS
import FuzzDriver

/// A small fixed catalog: enough for every answer shape (A, AAAA, CNAME, SRV with glue, node
/// meta TXT, NS, PTR) and for truncation (many instances of one service).
struct FuzzLookup: DNSLookup {
    let datacenter = "dc1"
    let instances: [ServiceInstance]
    let catalogNodes: [CatalogNode]

    init() {
        func node(_ name: String, _ address: String, meta: [String: String] = [:]) -> CatalogNode {
            var n = CatalogNode()
            n.node = name; n.address = address; n.datacenter = "dc1"; n.meta = meta
            return n
        }
        func instance(_ service: String, _ n: CatalogNode, port: Int, address: String = "", tags: [String] = [],
                      statuses: [String] = ["passing"]) -> ServiceInstance {
            var s = NodeService()
            s.service = service; s.id = service; s.port = port; s.address = address; s.tags = tags
            return ServiceInstance(node: n, service: s, checkStatuses: statuses)
        }
        let n1 = node("n1", "10.0.0.1", meta: ["rack": "r`1", " k=y ": "v", "rfc1035-raw": "x"])
        let n2 = node("n2", "fd00::2")
        let n3 = node("Weird.Node", "db.example.com")
        var all = [instance("web", n1, port: 80, tags: ["v1"]), instance("web", n2, port: 81, statuses: ["warning"]),
                   instance("web", n3, port: 82), instance("db", n1, port: 5432, statuses: ["critical"]),
                   instance("api", n1, port: 9000, address: "192.168.1.9"),
                   instance("ext", n2, port: 443, address: "example.com."),
                   instance("consul", n1, port: 8300), instance("consul", n2, port: 8300)]
        for i in 0..<300 {
            all.append(instance("big", node("big-node-with-a-long-name-\(i)", "10.1.\(i / 256).\(i % 256)"), port: 1000 + i))
        }
        instances = all
        catalogNodes = [n1, n2, n3]
    }

    func serviceHealth(name: String, tag: String?, datacenter: String) -> [ServiceInstance] {
        guard datacenter == self.datacenter else { return [] }
        return instances.filter { $0.service.service.lowercased() == name.lowercased() }
    }
    func node(name: String, datacenter: String) -> CatalogNode? {
        catalogNodes.first { $0.node.lowercased() == name.lowercased() }
    }
    func nodes(datacenter: String) -> [CatalogNode] { catalogNodes }
    func preparedQuery(_ idOrName: String, datacenter: String) -> (instances: [ServiceInstance], service: String, ttl: UInt32?)? { nil }
}

let lookup = FuzzLookup()
let responders: [ConsulDNSResponder] = {
    var plain = DNSConfig()
    plain.altDomain = "alt.example"
    var other = DNSConfig()
    other.recursorsConfigured = true
    other.disableCompression = true
    other.enableTruncate = true
    other.udpAnswerLimit = 0
    other.aRecordLimit = 2
    return [ConsulDNSResponder(config: plain, lookup: lookup), ConsulDNSResponder(config: other, lookup: lookup)]
}()

/// A deterministic RNG so a saved crash replays exactly.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func parseResult(_ bytes: [UInt8]) -> Result<DNSMessage, DNSParseError> {
    Result { () throws(DNSParseError) in try DNSParser.parse(bytes) }
}

/// What parses must come back from its own serialization, compressed or not.
func checkRoundTrip(_ message: DNSMessage) {
    for compress in [false, true] {
        let bytes = DNSWriter.serialize(message, compress: compress)
        let again = parseResult(bytes)
        invariant(again == .success(message), "\(message) (compress \(compress)) re-serialized as \(bytes) parses as \(again)")
    }
}

/// The responder answers with a parseable message for this query, never trapping.
func checkResponder(_ input: [UInt8], parsed: DNSMessage?) {
    let isQuery = input.count >= 12 && input[2] & 0x80 == 0
    for responder in responders {
        for overTCP in [false, true] {
            var random = FuzzRandom(state: UInt64(input.count))
            let answer = responder.respond(to: input, overTCP: overTCP, now: 1_700_000_000, random: &random)
            invariant((answer != nil) == isQuery, "answer \(String(describing: answer)) to a \(isQuery ? "query" : "non-query")")
            guard let answer else { continue }
            let back = parseResult(answer)
            guard case .success(let reply) = back else {
                invariant(false, "responder's answer \(answer) does not parse: \(back)")
                return
            }
            invariant(reply.header.qr && reply.header.id == UInt16(input[0]) << 8 | UInt16(input[1]),
                      "reply header \(reply.header) for query id \(input[0]) \(input[1])")
            guard let query = parsed else {
                invariant(reply.header.rcode == .formErr, "unparseable query answered \(reply.header.rcode)")
                continue
            }
            // Size limits hold whenever the echoed question section alone fits.
            let questionBytes = DNSWriter.serialize({ var m = DNSMessage(); m.questions = query.questions; m.edns = reply.edns; return m }()).count
            let limit = overTCP ? 65535 : query.edns.map { min(max(Int($0.udpPayloadSize), 512), 65467) } ?? 512
            invariant(answer.count <= limit || questionBytes > limit - 60,
                      "answer of \(answer.count) bytes over the \(limit)-byte limit (overTCP \(overTCP))")
            var random2 = FuzzRandom(state: UInt64(input.count))
            if case .answer(let bytes) = responder.handle(packet: input, overTCP: overTCP, now: 1_700_000_000, random: &random2),
               let bytes {
                invariant((try? DNSParser.parse(bytes)) != nil, "handle() answer \(bytes) does not parse")
            }
        }
    }
}

/// The libFuzzer entry point; also used by the replay `main` below.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = try? DNSParser.parse(input)
    if let parsed { checkRoundTrip(parsed) }
    checkResponder(input, parsed: parsed)
    return 0
}

runFuzzHarness(name: "DNSFuzz", fuzz)
