// Fuzz harness for HTTPRequestParser (`make fuzz` → scripts/fuzz.sh).
//
// The first byte of each input picks a split point; the rest is a request stream, parsed twice
// with small limits: fed all at once, and fed in two pieces split at that point. Both must yield
// the same requests and end the same way (the same error, or waiting for more bytes), since TCP
// may segment a stream anywhere. Every request must also respect the limits and the parser's
// documented shape. A broken invariant stops the process with a message (`invariant`, FuzzDriver);
// libFuzzer reports it as a crash and saves the input.
// The driver and the replay build come from FuzzDriver.
import FuzzDriver
import HTTP1

/// Small enough that a few-hundred-byte input crosses them.
let fuzzLimits = HTTPLimits(headerBytesMax: 256, bodyBytesMax: 64)

/// The parts of a parsed request that must not depend on how the bytes were segmented.
struct ParsedRequest: Equatable {
    var method: String
    var target: String
    var path: String
    var rawQuery: String
    var query: QueryItems
    var versionMinor: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var keepAlive: Bool

    init(_ r: HTTPRequest) {
        (method, target, path, rawQuery, query) = (r.method, r.target, r.path, r.rawQuery, r.query)
        (versionMinor, headers, body, keepAlive) = (r.versionMinor, r.headers, r.body, r.keepAlive)
    }
}

/// How parsing a whole input ended.
enum Ending: Equatable {
    case needMoreData
    case error(HTTPParseError)
}

struct Run {
    var parser = HTTPRequestParser(limits: fuzzLimits)
    var requests: [ParsedRequest] = []
    var ending: Ending = .needMoreData

    /// Feeds `bytes`, then takes events until the parser wants more bytes or has failed.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        if case .error = ending { return }  // a failed stream is closed; nothing more is read
        parser.feed(bytes)
        drain()
    }

    private mutating func drain() {
        while true {
            switch parser.next() {
            case .request(let request):
                check(request)
                requests.append(ParsedRequest(request))
            case .continueExpected:
                continue  // depends on segmentation by design; not compared
            case .needMoreData:
                ending = .needMoreData
                // Asking again without new bytes must not invent anything.
                guard case .needMoreData = parser.next() else { fatalError("next() changed without new bytes") }
                return
            case .error(let error):
                ending = .error(error)
                // A failed parser stays failed with the same error.
                guard case .error(let again) = parser.next(), again == error else {
                    fatalError("error \(error) did not stick")
                }
                return
            }
        }
    }

    private func check(_ r: HTTPRequest) {
        invariant(r.body.count <= fuzzLimits.bodyBytesMax, "body of \(r.body.count) bytes exceeds the limit")
        invariant(r.versionMinor == 0 || r.versionMinor == 1, "version 1.\(r.versionMinor)")
        invariant(!r.method.isEmpty, "empty method")
        invariant(r.target.utf8.count <= fuzzLimits.headerBytesMax, "target longer than the head limit")
        invariant(r.target.hasPrefix("/") || r.target == "*" || r.target.hasPrefix("*?"), "target \(r.target)")
        invariant(r.rawQuery.isEmpty || r.target.contains("?"), "query without '?' in target")
    }
}

/// The libFuzzer entry point; also used by the replay `main` below. The first byte is not part of
/// the request stream: it only picks where the second run splits the rest, in 255ths of its length.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let stream = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let split = Int(data[0]) * stream.count / 255

    var whole = Run()
    whole.feed(stream)

    var pieces = Run()
    pieces.feed(UnsafeBufferPointer(rebasing: stream[..<split]))
    pieces.feed(UnsafeBufferPointer(rebasing: stream[split...]))

    invariant(whole.requests == pieces.requests && whole.ending == pieces.ending,
              "split at \(split) of \(stream.count) changed the outcome: whole stream gave "
                  + "\(whole.requests.count) request(s) then \(whole.ending), two pieces gave "
                  + "\(pieces.requests.count) request(s) then \(pieces.ending)")
    return 0
}

runFuzzHarness(name: "HTTP1Fuzz", fuzz)
