import Foundation
import Testing

/// Blocking queries on a real agent: they wake on a relevant write and time out after `wait`.
@Suite struct BlockingLiveTests {
    /// A GET blocked on a key's index returns as soon as that key changes, with the new value.
    @Test func blockingGetWakesOnPut() throws {
        let agent = try AgentProcess()
        _ = try HTTP.put("/v1/kv/watched", port: agent.httpPort, body: "v1")
        let index = try #require(try HTTP.get("/v1/kv/watched", port: agent.httpPort).index)

        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (status: Int, index: UInt64?, body: String)?
        Thread.detachNewThread {
            if let r = try? HTTP.get("/v1/kv/watched?index=\(index)&wait=60s&raw", port: agent.httpPort) {
                result = (r.status, r.index, r.bodyText)
            }
            done.signal()
        }
        // An unrelated write must not answer the blocked query: had it, the answer below would
        // carry the old value and index.
        _ = try HTTP.put("/v1/kv/unrelated", port: agent.httpPort, body: "x")
        _ = try HTTP.put("/v1/kv/watched", port: agent.httpPort, body: "v2")
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(result?.status == 200)
        #expect(result?.body == "v2")
        #expect((result?.index ?? 0) > index)
    }

    /// With nothing written, the query answers at the end of its `wait` with the same index (the
    /// wait and its jitter are timed on a fake clock in HTTPAPITests' blocking tests).
    @Test func blockingGetTimesOut() throws {
        let agent = try AgentProcess()
        _ = try HTTP.put("/v1/kv/quiet", port: agent.httpPort, body: "v")
        let index = try #require(try HTTP.get("/v1/kv/quiet", port: agent.httpPort).index)
        let response = try HTTP.get("/v1/kv/quiet?index=\(index)&wait=1s", port: agent.httpPort)
        #expect(response.status == 200)
        #expect(response.index == index)
    }

    /// A recursive blocking list wakes when a key under the prefix is deleted.
    @Test func blockingListWakesOnDeleteUnderPrefix() throws {
        let agent = try AgentProcess()
        _ = try HTTP.put("/v1/kv/dir/a", port: agent.httpPort, body: "1")
        _ = try HTTP.put("/v1/kv/dir/b", port: agent.httpPort, body: "2")
        let index = try #require(try HTTP.get("/v1/kv/dir?recurse", port: agent.httpPort).index)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var keys: [String]?
        Thread.detachNewThread {
            if let r = try? HTTP.get("/v1/kv/dir?recurse&index=\(index)&wait=60s", port: agent.httpPort) {
                keys = (r.json as? [[String: Any]])?.compactMap { $0["Key"] as? String }
            }
            done.signal()
        }
        // Answered before the delete, the keys would still include dir/a.
        _ = try HTTP.delete("/v1/kv/dir/a", port: agent.httpPort)
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(keys == ["dir/b"])
    }
}
