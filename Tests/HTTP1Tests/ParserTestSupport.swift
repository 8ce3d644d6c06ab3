import HTTP1

/// Everything a parser produced from some input, until it asked for more bytes or failed.
struct ParseOutcome {
    var requests: [HTTPRequest] = []
    var continues = 0
    var error: HTTPParseError?
    /// The last event was `.needMoreData`.
    var needsMore = false
}

/// Pulls events out of `parser` until it needs more data or reports an error.
func drain(_ parser: inout HTTPRequestParser, into outcome: inout ParseOutcome) {
    // A bound instead of `while true`, so a parser that loops forever fails the test instead of hanging it.
    for _ in 0..<10_000 {
        switch parser.next() {
        case .request(let request): outcome.requests.append(request)
        case .continueExpected: outcome.continues += 1
        case .needMoreData: outcome.needsMore = true; return
        case .error(let error): outcome.error = error; outcome.needsMore = false; return
        }
    }
    outcome.error = nil
    outcome.needsMore = false
}

/// Feeds all of `input` at once into a fresh parser.
func parseWhole(_ input: String, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    parseWhole(Array(input.utf8), limits: limits)
}

func parseWhole(_ input: [UInt8], limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    parser.feed(input)
    drain(&parser, into: &outcome)
    return outcome
}

/// Feeds `input` one byte at a time, draining after every byte; stops at the first error.
func parseByteByByte(_ input: String, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    for byte in input.utf8 {
        parser.feed(CollectionOfOne(byte))
        drain(&parser, into: &outcome)
        if outcome.error != nil { break }
    }
    return outcome
}

func bodyText(_ request: HTTPRequest) -> String { String(decoding: request.body, as: UTF8.self) }
