// Fuzz harness for HTTPRequestParser (`make fuzz` → scripts/fuzz.sh).
//
// Each input is parsed twice with small limits: fed all at once, and fed in two pieces split at a
// position taken from the first byte. Both must yield the same requests and end the same way (the
// same error, or waiting for more bytes), since TCP may segment a stream anywhere. Every request
// must also respect the limits and the parser's documented shape. A broken invariant is a
// `precondition` failure, which libFuzzer reports as a crash with the input saved.
//
// Two builds share this file:
//   - fuzz build (`-sanitize=fuzzer -DFUZZING`, see scripts/fuzz.sh): libFuzzer's own `main`
//     calls `LLVMFuzzerTestOneInput`; the top-level code below is compiled out.
//   - plain `swift build`: the top-level code runs each file named on the command line through
//     the same checks, e.g. to replay a crash: `.build/debug/HTTP1Fuzz crash-<sha1>`.
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
                guard case .needMoreData = parser.next() else { preconditionFailure("next() changed without new bytes") }
                return
            case .error(let error):
                ending = .error(error)
                // A failed parser stays failed with the same error.
                guard case .error(let again) = parser.next(), again == error else {
                    preconditionFailure("error \(error) did not stick")
                }
                return
            }
        }
    }

    private func check(_ r: HTTPRequest) {
        precondition(r.body.count <= fuzzLimits.bodyBytesMax, "body of \(r.body.count) bytes exceeds the limit")
        precondition(r.versionMinor == 0 || r.versionMinor == 1, "version 1.\(r.versionMinor)")
        precondition(!r.method.isEmpty, "empty method")
        precondition(r.target.utf8.count <= fuzzLimits.headerBytesMax, "target longer than the head limit")
        precondition(r.target.hasPrefix("/") || r.target == "*" || r.target.hasPrefix("*?"), "target \(r.target)")
        precondition(r.rawQuery.isEmpty || r.target.contains("?"), "query without '?' in target")
    }
}

/// The libFuzzer entry point; also used by the replay `main` below.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)

    var whole = Run()
    whole.feed(input)

    var pieces = Run()
    let split = size == 0 ? 0 : Int(input[0]) % (size + 1)
    pieces.feed(UnsafeBufferPointer(rebasing: input[..<split]))
    pieces.feed(UnsafeBufferPointer(rebasing: input[split...]))

    precondition(whole.requests == pieces.requests,
                 "split at \(split) changed the requests: \(whole.requests.count) whole vs \(pieces.requests.count) split")
    precondition(whole.ending == pieces.ending,
                 "split at \(split) changed the ending: \(whole.ending) whole vs \(pieces.ending) split")
    return 0
}

#if !FUZZING
// Plain build: replay inputs given as files.
import Glibc

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[..<n])
    }
    return ferror(file) == 0 ? bytes : nil
}

let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty {
    print("usage: HTTP1Fuzz FILE...   (replays inputs through the fuzz checks; scripts/fuzz.sh fuzzes)")
    exit(2)
}
for path in paths {
    guard let bytes = readFile(path) else {
        print("HTTP1Fuzz: cannot read \(path)")
        exit(1)
    }
    // One spare byte so the pointer is valid even for an empty file, as libFuzzer guarantees.
    let padded = bytes + [0]
    _ = padded.withUnsafeBufferPointer { fuzz($0.baseAddress!, bytes.count) }
    print("ok \(path) (\(bytes.count) bytes)")
}
#endif
