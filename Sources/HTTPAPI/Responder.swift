import HTTP1
import Metrics
import Platform

/// The one-shot reply channel of a request. The connection owns it; a handler that answers
/// later (a blocking query, a Raft commit) keeps it and calls `respond` on the loop thread.
public final class Responder {
    /// The parts of a streamed answer (`/v1/agent/monitor`): the head, body chunks, the end.
    public enum StreamPart {
        case head(HTTPResponse)
        case chunk([UInt8])
        case end
    }

    private var sink: ((HTTPResponse) -> Void)?
    private var streamSink: ((StreamPart) -> Void)?
    private var cancellation: (() -> Void)?
    private var streaming = false
    /// `consul.api.http`: the route's timer, observed once when the answer (or a stream's head)
    /// goes out — kept here, not in an object of its own, so timing costs no allocation.
    /// One stored value (each access to a class's `var` is a dynamic exclusivity check).
    private var timing: (metric: Metric, clock: EventLoopClock, started: UInt64)?

    /// `stream`: how the connection sends a streamed answer; nil where answers must be whole
    /// (requests forwarded between agents).
    public init(_ sink: @escaping (HTTPResponse) -> Void, stream: ((StreamPart) -> Void)? = nil) {
        self.sink = sink
        self.streamSink = stream
    }

    /// Starts a streamed (chunked) answer with `head`; false when this responder cannot stream.
    public func beginStream(_ head: HTTPResponse) -> Bool {
        guard sink != nil, let streamSink else { return false }
        stopTiming()
        sink = nil
        streaming = true
        streamSink(.head(head))
        return true
    }

    /// One body chunk of a streamed answer (ignored once it ended or the client left).
    public func streamChunk(_ bytes: [UInt8]) {
        guard streaming, !bytes.isEmpty else { return }
        streamSink?(.chunk(bytes))
    }

    /// Bytes of a streamed answer written but not yet taken by the client (the connection's
    /// buffer and the socket's queue): a producer that can drop (the log monitor) checks it.
    public var backlogBytes: () -> Int = { 0 }

    /// Whether `beginStream` can work (the connection streams and nothing was answered yet).
    public var canStream: Bool { sink != nil && streamSink != nil }

    /// Passes a part of a streamed answer on (a wrapping responder's stream).
    public func relay(_ part: StreamPart) {
        switch part {
        case .head(let head): _ = beginStream(head)
        case .chunk(let bytes): streamChunk(bytes)
        case .end: endStream()
        }
    }

    public func endStream() {
        guard streaming else { return }
        streaming = false
        cancellation = nil
        let end = streamSink
        streamSink = nil
        end?(.end)
    }

    /// True once answered or abandoned; later calls to `respond` are ignored.
    public var isFinished: Bool { sink == nil }

    public func respond(_ response: HTTPResponse) {
        guard let sink else { return }
        stopTiming()
        self.sink = nil
        cancellation = nil
        sink(response)
    }

    func startTiming(_ metric: Metric, clock: EventLoopClock) {
        timing = (metric, clock, clock.now.nanoseconds)
    }

    private func stopTiming() {
        guard let (metric, clock, started) = timing else { return }
        timing = nil
        metric.observe(nanoseconds: clock.now.nanoseconds &- started)
    }

    /// Registers cleanup to run if the client goes away before the answer (frees watches, timers).
    public func onCancel(_ cleanup: @escaping () -> Void) { cancellation = cleanup }

    /// The client went away: drop the answer and run the handler's cleanup.
    public func cancel() {
        sink = nil
        streamSink = nil
        streaming = false
        let cleanup = cancellation
        cancellation = nil
        cleanup?()
    }
}
