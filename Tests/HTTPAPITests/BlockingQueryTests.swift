import ConsulAPI
import HTTP1
import HTTPAPI
import Testing

private let second: UInt64 = 1_000_000_000
private let minute: UInt64 = 60 * second

@Suite("Blocking queries")
struct BlockingQueryTests {
    /// Proves a GET at the current index waits, ignores a write to another key, and wakes on a write to its key.
    @Test func wakesOnlyForItsKey() {
        let h = APIHarness()
        let index = h.put("a", "old")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=1m")
        #expect(!answer.answered)
        #expect(h.store.watches.count == 1)
        h.put("b", "unrelated")
        h.put("ab", "unrelated")
        h.put("a/", "unrelated")
        #expect(!answer.answered)
        let newIndex = h.put("a", "new")
        #expect(answer.count == 1)
        #expect(answer.status == 200)
        #expect(answer.index == newIndex)
        #expect(entries(answer).first?.value == Array("new".utf8))
        // The answered query leaves no watch or timer behind, and its timeout never answers again.
        #expect(h.store.watches.count == 0)
        #expect(h.clock.pendingTimerCount == 0)
        h.clock.advance(by: 2 * minute)
        #expect(answer.count == 1)
    }

    /// Proves rewriting identical content does not wake a blocked reader.
    @Test func identicalRewriteDoesNotWake() {
        let h = APIHarness()
        let index = h.put("a", "same")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)")
        h.put("a", "same")
        #expect(!answer.answered)
    }

    /// Proves a blocked query times out once the fake clock passes wait + jitter, answering 200 with the same index.
    @Test func timesOutWithSameIndex() {
        let h = APIHarness()
        h.random.value = 62_499_999            // jitter = value % (1s / 16) = 62_499_999 ns, the largest possible
        let index = h.put("a", "v")
        h.put("b", "other")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=1s")
        h.clock.advance(by: second)
        #expect(!answer.answered)
        h.clock.advance(by: 62_499_998)
        #expect(!answer.answered)
        h.clock.advance(by: 1)
        #expect(answer.status == 200)
        #expect(answer.index == index)
        #expect(entries(answer).first?.value == Array("v".utf8))
        #expect(h.store.watches.count == 0)
    }

    /// Proves the jitter never exceeds wait/16 and never shortens the wait, whatever the random source says.
    @Test(arguments: [UInt64(0), 1, 62_499_999, 62_500_000, 123_456_789_012, UInt64.max])
    func jitterIsBounded(_ randomValue: UInt64) {
        let h = APIHarness()
        h.random.value = randomValue
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=1s")
        h.clock.advance(by: second - 1)
        #expect(!answer.answered)
        h.clock.advance(by: second / 16)
        #expect(answer.status == 200)
    }

    /// Proves `wait` is capped at 10 minutes (plus at most 1/16 of that as jitter).
    @Test func waitCappedAtTenMinutes() {
        let h = APIHarness()
        h.random.value = 37_499_999_999        // the largest jitter for a 10-minute wait
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=20m")
        h.clock.advance(by: 10 * minute + 37_499_999_998)
        #expect(!answer.answered)
        h.clock.advance(by: 1)
        #expect(answer.status == 200)
        #expect(answer.index == index)
    }

    /// Proves the cap follows `max_query_time` from configuration.
    @Test func configuredCap() {
        var config = APIConfig()
        config.maxQueryTimeNanoseconds = 30 * second
        let h = APIHarness(config: config)
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=5m")
        h.clock.advance(by: 30 * second - 1)
        #expect(!answer.answered)
        h.clock.advance(by: 1)
        #expect(answer.answered)
    }

    /// Proves an index without `wait` uses the 5-minute default.
    @Test func defaultWaitIsFiveMinutes() {
        let h = APIHarness()
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)")
        h.clock.advance(by: 5 * minute - 1)
        #expect(!answer.answered)
        h.clock.advance(by: 1)
        #expect(answer.status == 200)
    }

    /// Proves no blocking without an index above zero, or when the data is already newer than the index.
    @Test func answersAtOnceWhenNotBlocking() {
        let h = APIHarness()
        h.put("a", "1")
        let index = h.put("a", "2")
        for target in ["/v1/kv/a?index=0&wait=1m", "/v1/kv/a?wait=1m", "/v1/kv/a?index=\(index - 1)"] {
            let answer = h.send("GET", target)
            #expect(answer.status == 200, "\(target)")
            #expect(answer.index == index, "\(target)")
        }
        #expect(h.store.watches.count == 0)
        #expect(h.clock.pendingTimerCount == 0)
    }

    /// Proves an index ahead of the data blocks until the timeout, then answers the current, lower index.
    @Test func indexAheadBlocksUntilTimeout() {
        let h = APIHarness()
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index + 100)&wait=10s")
        h.clock.advance(by: 9 * second)
        #expect(!answer.answered)
        h.clock.advance(by: 2 * second)
        #expect(answer.status == 200)
        #expect(answer.index == index)
    }

    /// Proves deleting the watched key wakes the reader with a 404 carrying the delete's index.
    @Test func deleteWakesWith404() {
        let h = APIHarness()
        let index = h.put("a", "v")
        let answer = h.send("GET", "/v1/kv/a?index=\(index)")
        h.send("DELETE", "/v1/kv/a")
        #expect(answer.status == 404)
        #expect(answer.index == h.store.index)
    }

    /// Proves a blocked read of a missing key wakes when that key is created, not when another key is.
    @Test func missingKeyWakesOnCreate() {
        let h = APIHarness()
        let index = h.put("x", "1")
        let answer = h.send("GET", "/v1/kv/missing?index=\(index)")
        #expect(!answer.answered)
        h.put("y", "2")
        #expect(!answer.answered)
        let created = h.put("missing", "here")
        #expect(answer.status == 200)
        #expect(answer.index == created)
    }

    /// Proves a blocked recurse wakes for a key under its prefix only, and a blocked `keys` likewise.
    @Test func prefixQueriesWakeForKeysUnderThePrefix() {
        let h = APIHarness()
        let index = h.put("foo/a", "1")
        let list = h.send("GET", "/v1/kv/foo/?recurse&index=\(index)")
        let keys = h.send("GET", "/v1/kv/foo/?keys&index=\(index)")
        h.put("foobar", "x")
        h.put("bar/foo/", "x")
        #expect(!list.answered && !keys.answered)
        h.put("foo/b/c", "2")
        #expect(entries(list).map(\.key) == ["foo/a", "foo/b/c"])
        #expect(keyList(keys) == ["foo/a", "foo/b/c"])
        #expect(list.index == h.store.index && keys.index == h.store.index)
    }

    /// Proves a blocked recurse wakes on delete-tree of a parent prefix, reporting the tombstone's index.
    @Test func recurseWakesOnParentDeleteTree() {
        let h = APIHarness()
        h.put("foo/a", "1")
        let index = h.put("foo/b", "2")
        let list = h.send("GET", "/v1/kv/foo/?recurse&index=\(index)")
        h.send("DELETE", "/v1/kv/f?recurse")
        #expect(list.status == 404)
        #expect(list.index == h.store.index)
    }

    /// Proves a client that goes away frees its watch and timer and is never answered.
    @Test func cancelledQueryIsForgotten() {
        let h = APIHarness()
        let index = h.put("a", "v")
        var responder: Responder?
        let answer = h.send("GET", "/v1/kv/a?index=\(index)&wait=1m", responder: { responder = $0 })
        #expect(h.store.watches.count == 1)
        #expect(h.clock.pendingTimerCount == 1)
        responder?.cancel()
        #expect(h.store.watches.count == 0)
        #expect(h.clock.pendingTimerCount == 0)
        h.put("a", "changed")
        h.clock.advance(by: 2 * minute)
        #expect(!answer.answered)
    }

    /// Proves many readers of one key all wake on its write, each answered once.
    @Test func manyReadersEachAnsweredOnce() {
        let h = APIHarness()
        let index = h.put("a", "v")
        let answers = (0..<5).map { _ in h.send("GET", "/v1/kv/a?index=\(index)") }
        let other = h.send("GET", "/v1/kv/b?index=\(index)")
        h.put("a", "w")
        #expect(answers.allSatisfy { $0.count == 1 && $0.status == 200 })
        #expect(!other.answered)
        #expect(h.store.watches.count == 1)
    }
}
