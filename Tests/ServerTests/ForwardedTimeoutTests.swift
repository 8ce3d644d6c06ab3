import Server
import HTTP1
import Testing

private let second: UInt64 = 1_000_000_000
private let minute: UInt64 = 60 * second

/// The timeout of a forwarded HTTP request for `target`.
private func timeout(_ target: String) throws -> UInt64 {
    try ForwardedHTTP.timeoutNanoseconds(for: HTTPRequest(method: "GET", target: target))
}

/// How long a client agent waits for a request it forwarded to a server: a blocking query's wait
/// (default 5 min, capped at 10) plus its 1/16 jitter and a 10 s margin; anything else 20 s.
@Suite("Forwarded request timeouts")
struct ForwardedTimeoutTests {
    /// Proves a non-blocking request gets 20 s, as does `index=0` (not a blocking query) or an unparsable index.
    @Test func nonBlockingRequestsGetTwentySeconds() throws {
        #expect(try timeout("/v1/kv/a") == 20 * second)
        #expect(try timeout("/v1/catalog/nodes?wait=30s") == 20 * second)
        #expect(try timeout("/v1/kv/a?index=0") == 20 * second)
        #expect(try timeout("/v1/kv/a?index=0&wait=5m") == 20 * second)
        #expect(try timeout("/v1/kv/a?index=abc") == 20 * second)
    }

    /// Proves a blocking query's timeout is its wait plus wait/16 jitter plus 10 s.
    @Test func blockingQueryGetsItsWaitPlusJitterAndMargin() throws {
        #expect(try timeout("/v1/kv/a?index=5&wait=30s") == 30 * second + 30 * second / 16 + 10 * second)
        #expect(try timeout("/v1/health/service/web?wait=2m&index=17") == 2 * minute + 2 * minute / 16 + 10 * second)
    }

    /// Proves a blocking query without a (valid) wait uses Consul's 5 min default.
    @Test func blockingQueryWithoutWaitUsesFiveMinutes() throws {
        let expected = 5 * minute + 5 * minute / 16 + 10 * second
        #expect(try timeout("/v1/kv/a?index=5") == expected)
        #expect(try timeout("/v1/kv/a?index=5&wait=soon") == expected)
    }

    /// Proves a wait above Consul's 10 min maximum is capped at 10 min.
    @Test func longWaitIsCappedAtTenMinutes() throws {
        let capped = 10 * minute + 10 * minute / 16 + 10 * second
        #expect(try timeout("/v1/kv/a?index=5&wait=1h") == capped)
        #expect(try timeout("/v1/kv/a?index=5&wait=10m") == capped)
        #expect(try timeout("/v1/kv/a?index=5&wait=11m") == capped)
    }
}
