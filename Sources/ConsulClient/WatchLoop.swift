import ConsulAPI
import HTTP1

/// Runs a `WatchPlan` with blocking queries over `ConsulHTTPClient`, as Consul's watch plan
/// does: the handler runs on the first answer and whenever the index changed and the data
/// differs; a failed request is reported and retried after 5 s × failures² (≤ 180 s).
/// Blocking: run it on its own thread (the CLI's main thread, or an agent watch thread).
public final class WatchLoop {
    public let plan: WatchPlan
    private let client: ConsulHTTPClient
    /// `?wait` for each blocking request; 0 = the agent's default (5 minutes).
    public var waitNanoseconds: UInt64 = 0
    public private(set) var progress = WatchProgress()
    /// The wait after the latest failure (5 s × failures², capped at 180 s).
    public private(set) var retryNanoseconds: UInt64 = 0

    public init(plan: WatchPlan, client: ConsulHTTPClient) {
        self.plan = plan
        self.client = client
    }

    /// One request and its verdict: the data when the handler should run, nil when not.
    /// Throws the error text when the request failed (the caller backs off).
    public func poll() throws(WatchPlanError) -> (index: UInt64, data: JSONValue)? {
        let previous = progress.waitIndex
        let (path, query) = plan.request(index: previous, waitNanoseconds: waitNanoseconds)
        let response: HTTPClientResponse
        do { response = try client.send("GET", path, query: query, serverFlags: false) } catch {
            retryNanoseconds = progress.failed()
            throw WatchPlanError("\(error)")
        }
        let data: JSONValue
        do { data = try plan.result(status: response.status, body: response.body, previousIndex: previous) } catch {
            retryNanoseconds = progress.failed()
            throw error
        }
        let index = response.headers["X-Consul-Index"].flatMap { UInt64($0) } ?? 0
        return progress.observe(index: index, result: data) ? (index, data) : nil
    }

    /// Polls until `handler` returns false or `shouldStop()` is true. `sleep` waits between
    /// retries (the caller's clock); `onError(message, retryNanoseconds)` reports each failure.
    public func run(shouldStop: () -> Bool, sleep: (UInt64) -> Void, onError: (String, UInt64) -> Void,
                    handler: (UInt64, JSONValue) -> Bool) {
        while !shouldStop() {
            do {
                guard let (index, data) = try poll() else { continue }
                if shouldStop() { return }
                if !handler(index, data) { return }
            } catch {
                onError(error.message, retryNanoseconds)
                sleep(retryNanoseconds)
            }
        }
    }
}
