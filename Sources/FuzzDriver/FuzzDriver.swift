// What every libFuzzer harness here shares (`make fuzz` → scripts/fuzz.sh): the invariant check
// and the program's main. Two builds use it:
//   - fuzz build (scripts/fuzz.sh: `-sanitize=fuzzer -DFUZZING -enable-experimental-feature Extern`):
//     SwiftPM links executables with `--defsym main=<Product>_main`, which shadows libFuzzer's own
//     `main`, so the harness starts libFuzzer itself through `LLVMFuzzerRunDriver`, its documented
//     entry point for programs that keep their own main.
//   - plain `swift build`: the harness replays files named on the command line through the same
//     checks, e.g. a saved crash: `.build/debug/DNSFuzz fuzz-corpus/dns-crashes/crash-…`.
// Each harness still defines `LLVMFuzzerTestOneInput` itself (`@_cdecl`), the symbol libFuzzer calls.
import Glibc

/// `precondition` that keeps its message in optimized builds (the fuzzer is built with -O, where
/// `precondition` traps silently); the trap is what libFuzzer catches.
public func invariant(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String, line: UInt = #line) {
    if !ok() { fatalError(message(), line: line) }
}

public typealias FuzzEntry = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

#if FUZZING
@_extern(c, "LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: FuzzEntry) -> CInt

/// Hands control to libFuzzer, which parses its own flags from the command line.
public func runFuzzHarness(name: String, _ entry: FuzzEntry) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&argc, &argv, entry))
}
#else
/// Replays the inputs named on the command line through `entry`.
public func runFuzzHarness(name: String, _ entry: FuzzEntry) -> Never {
    let paths = CommandLine.arguments.dropFirst()
    if paths.isEmpty {
        print("usage: \(name) FILE...   (replays inputs through the fuzz checks; scripts/fuzz.sh fuzzes)")
        exit(2)
    }
    for path in paths {
        guard let bytes = readFile(path) else {
            print("\(name): cannot read \(path)")
            exit(1)
        }
        // One spare byte so the pointer is valid even for an empty file, as libFuzzer guarantees.
        let padded = bytes + [0]
        _ = padded.withUnsafeBufferPointer { entry($0.baseAddress!, bytes.count) }
        print("ok \(path) (\(bytes.count) bytes)")
    }
    exit(0)
}

private func readFile(_ path: String) -> [UInt8]? {
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
#endif
