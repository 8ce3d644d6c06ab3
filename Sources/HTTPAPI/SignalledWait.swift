import HTTP1
import Platform

/// A blocked request on something that signals changes without a state-store watch (the local
/// agent's services, the user-event log): re-renders on every signal and answers once the
/// rendered version differs from the one the client holds, or when the timer fires. Frees its
/// subscription and timer when the client disconnects. Retained by its own closures until then.
final class SignalledWait<Version: Equatable> {
    private let responder: Responder
    private let heldVersion: Version
    private let render: () -> (HTTPResponse, Version)
    private let subscribe: (@escaping () -> Void) -> UInt64
    private let unsubscribe: (UInt64) -> Void
    private var token: UInt64?
    private var timer: TimerHandle?

    /// `subscribe` registers a one-shot change callback and returns its token; `unsubscribe` drops one.
    @discardableResult
    init(clock: EventLoopClock, responder: Responder, heldVersion: Version, timeoutNanoseconds: UInt64,
         render: @escaping () -> (HTTPResponse, Version),
         subscribe: @escaping (@escaping () -> Void) -> UInt64, unsubscribe: @escaping (UInt64) -> Void) {
        self.responder = responder
        self.heldVersion = heldVersion
        self.render = render
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
        timer = clock.schedule(after: timeoutNanoseconds) { [self] in finish(render().0) }
        responder.onCancel { [self] in stop() }
        arm()
    }

    private func arm() {
        token = subscribe { [self] in
            token = nil
            let (response, current) = render()
            if current != heldVersion { finish(response) } else { arm() }
        }
    }

    private func finish(_ response: HTTPResponse) {
        stop()
        responder.respond(response)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        if let token { unsubscribe(token) }
        token = nil
    }
}
