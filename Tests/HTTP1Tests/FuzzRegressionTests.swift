import HTTP1
import Testing

/// Inputs the fuzzer found: the parser's verdict must not depend on where the bytes are split.
@Suite struct FuzzRegressionTests {
    static let head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let cases: [String] = [
        head + "1\r\nA\r\n0\r\nX-T: " + String(repeating: "y", count: 600) + "\r\n\r\n",
        head + "1;" + String(repeating: "x", count: 1100) + "\r\nA\r\n0\r\n\r\n",
    ]

    /// A long trailer line or chunk-size line is refused the same way whole or split anywhere.
    @Test(arguments: cases)
    func sameOutcomeForEverySplit(input: String) {
        let bytes = Array(input.utf8)
        let limits = HTTPLimits(headerBytesMax: 256, bodyBytesMax: 64)
        let whole = outcome(bytes, split: bytes.count, limits: limits)
        #expect(whole != "request")
        for split in stride(from: 1, to: bytes.count, by: 7) {
            #expect(outcome(bytes, split: split, limits: limits) == whole, "split at \(split)")
        }
    }

    private func outcome(_ bytes: [UInt8], split: Int, limits: HTTPLimits) -> String {
        var parser = HTTPRequestParser(limits: limits)
        var results: [String] = []
        for part in [bytes[..<split], bytes[split...]] {
            parser.feed(part)
            loop: while true {
                switch parser.next() {
                case .request: results.append("request")
                case .continueExpected: continue
                case .needMoreData: break loop
                case .error(let e): return results.joined() + "error(\(e))"
                }
            }
        }
        return results.joined(separator: ",")
    }
}
