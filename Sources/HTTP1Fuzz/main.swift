// Fuzz harness for HTTPRequestParser (`make fuzz` → scripts/fuzz.sh).
//
// The first byte of each input picks a split point; the rest is a request stream, parsed twice
// with small limits: fed all at once, and fed in two pieces split at that point. Both must yield
// the same requests and end the same way (the same error, or waiting for more bytes), since TCP
// may segment a stream anywhere. Every request must also respect the limits and the parser's
// documented shape. A broken invariant stops the process with a message (`invariant` below);
// libFuzzer reports it as a crash and saves the input.
//
// Two builds share this file, both as a main.swift with top-level code:
//   - fuzz build (scripts/fuzz.sh: `-sanitize=fuzzer -DFUZZING -enable-experimental-feature Extern`):
//     SwiftPM links executables with `--defsym main=HTTP1Fuzz_main`, which shadows libFuzzer's own
//     `main`, so the top-level code starts libFuzzer itself through `LLVMFuzzerRunDriver`, its
//     documented entry point for programs that keep their own main.
//   - plain `swift build`: the top-level code replays files named on the command line through the
//     same checks, e.g. a saved crash: `.build/debug/HTTP1Fuzz fuzz-corpus/http1-crashes/crash-…`.
import Glibc
import HTTP1

/// Small enough that a few-hundred-byte input crosses them.
let fuzzLimits = HTTPLimits(headerBytesMax: 256, bodyBytesMax: 64)

/// `precondition` that keeps its message in optimized builds (the fuzzer is built with -O, where
/// `precondition` traps silently); the trap is what libFuzzer catches.
func invariant(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String, line: UInt = #line) {
    if !ok() { fatalError(message(), line: line) }
}

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

#if FUZZING
// Fuzz build: hand control to libFuzzer, which parses its own flags from the command line.
@_extern(c, "LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

var fuzzerArgc = CommandLine.argc
var fuzzerArgv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&fuzzerArgc, &fuzzerArgv, fuzz))
#else
// Plain build: replay inputs given as files.
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
