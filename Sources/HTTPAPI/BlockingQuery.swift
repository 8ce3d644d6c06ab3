import ConsulState
import HTTP1
import Platform

/// One run of a read: the response to send, the index it reflects, and what it read.
public struct QueryResult {
    public var response: HTTPResponse
    public var index: UInt64
    public var watched: [WatchScope]
    public init(response: HTTPResponse, index: UInt64, watched: [WatchScope]) {
        self.response = response
        self.index = index
        self.watched = watched
    }
}

/// Runs a read as a Consul blocking query: answer at once unless `index` > 0 and nothing newer
/// exists; otherwise wait until a write touches what the query read, or until `wait` (+ jitter)
/// passes, and answer with whatever is current then.
final class BlockingQuery {
    private let store: StateStore
    private let clock: EventLoopClock
    private let run: () -> QueryResult
    private let responder: Responder
    private let minIndex: UInt64
    private var watch: WatchToken?
    private var timer: TimerHandle?

    /// `timeoutNanoseconds` already includes jitter.
    static func start(store: StateStore, clock: EventLoopClock, minIndex: UInt64, timeoutNanoseconds: UInt64,
                      responder: Responder, run: @escaping () -> QueryResult) {
        let first = run()
        if minIndex == 0 || first.index > minIndex {
            responder.respond(first.response)
            return
        }
        let query = BlockingQuery(store: store, clock: clock, run: run, responder: responder, minIndex: minIndex)
        query.timer = clock.schedule(after: timeoutNanoseconds) { [query] in query.finish(query.run()) }
        responder.onCancel { [query] in query.stop() }
        query.wait(on: first.watched)
    }

    private init(store: StateStore, clock: EventLoopClock, run: @escaping () -> QueryResult, responder: Responder,
                 minIndex: UInt64) {
        self.store = store
        self.clock = clock
        self.run = run
        self.responder = responder
        self.minIndex = minIndex
    }

    private func wait(on scopes: [WatchScope]) {
        watch = store.watches.register(scopes) { [self] in
            watch = nil
            let result = run()
            if result.index > minIndex { finish(result) } else { wait(on: result.watched) }
        }
    }

    private func finish(_ result: QueryResult) {
        stop()
        responder.respond(result.response)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        if let watch { store.watches.cancel(watch) }
        watch = nil
    }
}

/// Consul's timeout rule: default when unset, capped at the maximum, plus up to 1/16 jitter.
func blockingTimeout(requested: UInt64, config: APIConfig, random: RandomSource) -> UInt64 {
    var wait = requested == 0 ? config.defaultQueryTimeNanoseconds : requested
    if wait > config.maxQueryTimeNanoseconds { wait = config.maxQueryTimeNanoseconds }
    return wait + random.next(below: wait / 16)
}
