import HTTP1

/// The one-shot reply channel of a request. The connection owns it; a handler that answers
/// later (a blocking query, a Raft commit) keeps it and calls `respond` on the loop thread.
public final class Responder {
    private var sink: ((HTTPResponse) -> Void)?
    private var cancellation: (() -> Void)?

    public init(_ sink: @escaping (HTTPResponse) -> Void) { self.sink = sink }

    /// True once answered or abandoned; later calls to `respond` are ignored.
    public var isFinished: Bool { sink == nil }

    public func respond(_ response: HTTPResponse) {
        guard let sink else { return }
        self.sink = nil
        cancellation = nil
        sink(response)
    }

    /// Registers cleanup to run if the client goes away before the answer (frees watches, timers).
    public func onCancel(_ cleanup: @escaping () -> Void) { cancellation = cleanup }

    /// The client went away: drop the answer and run the handler's cleanup.
    public func cancel() {
        sink = nil
        let cleanup = cancellation
        cancellation = nil
        cleanup?()
    }
}
