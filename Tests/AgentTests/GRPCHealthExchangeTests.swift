@testable import Agent
import Testing

/// The h2c + gRPC health codec: the request's frames, acks for SETTINGS and PING, and the
/// health status read from DATA however the frames are split or padded.
@Suite struct GRPCHealthExchangeTests {
    func feed(_ exchange: inout GRPCHealthExchange, _ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { exchange.feed($0) }
    }

    func response(status: UInt8, padded: Bool = false) -> [UInt8] {
        var out = GRPCHealthExchange.frame(type: 0x4, flags: 0, stream: 0, payload: [0, 3, 0, 0, 0, 100])  // SETTINGS
        out += GRPCHealthExchange.frame(type: 0x1, flags: 0x4, stream: 1, payload: [0x88])                  // :status 200
        let message: [UInt8] = [0, 0, 0, 0, 2, 0x08, status]
        if padded {
            out += GRPCHealthExchange.frame(type: 0x0, flags: 0x8, stream: 1, payload: [3] + message + [0, 0, 0])
        } else {
            out += GRPCHealthExchange.frame(type: 0x0, flags: 0, stream: 1, payload: message)
        }
        out += GRPCHealthExchange.frame(type: 0x1, flags: 0x5, stream: 1, payload: [0x40, 1, 0x61, 1, 0x30])  // trailers
        return out
    }

    /// Proves the request starts with the preface and SETTINGS, carries the path in HEADERS and
    /// the service name in the END_STREAM DATA frame.
    @Test func requestFrames() {
        let bytes = GRPCHealthExchange.request(authority: "127.0.0.1:9", service: "web")
        #expect(Array(bytes.prefix(24)) == GRPCHealthExchange.preface)
        #expect(Array(bytes[24..<33]) == [0, 0, 0, 4, 0, 0, 0, 0, 0])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("/grpc.health.v1.Health/Check") && text.contains("application/grpc"))
        #expect(Array(bytes.suffix(5)) == [0x0A, 3, 0x77, 0x65, 0x62])
    }

    /// Proves SERVING and NOT_SERVING are read back, byte by byte or padded, and SETTINGS is acked.
    @Test func statusFromData() {
        for padded in [false, true] {
            var exchange = GRPCHealthExchange()
            var replies: [UInt8] = []
            for b in response(status: 1, padded: padded) { replies += feed(&exchange, [b]) }
            #expect(exchange.outcome == .status(1))
            #expect(replies == GRPCHealthExchange.frame(type: 0x4, flags: 0x1, stream: 0, payload: []))
        }
        var notServing = GRPCHealthExchange()
        _ = feed(&notServing, response(status: 2))
        #expect(notServing.outcome == .status(2))
    }

    /// Proves PING is echoed, a trailers-only error and a reset stream fail, and a close before
    /// any message fails.
    @Test func failuresAndPing() {
        var exchange = GRPCHealthExchange()
        let ping = GRPCHealthExchange.frame(type: 0x6, flags: 0, stream: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(feed(&exchange, ping) == GRPCHealthExchange.frame(type: 0x6, flags: 0x1, stream: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
        _ = feed(&exchange, GRPCHealthExchange.frame(type: 0x1, flags: 0x5, stream: 1, payload: [0x88]))
        guard case .failed = exchange.outcome else { Issue.record("trailers-only answer must fail"); return }
        var reset = GRPCHealthExchange()
        _ = feed(&reset, GRPCHealthExchange.frame(type: 0x3, flags: 0, stream: 1, payload: [0, 0, 0, 8]))
        #expect(reset.outcome == .failed("stream reset by the server (HTTP/2 error 8)"))
        var closed = GRPCHealthExchange()
        closed.closed()
        #expect(closed.outcome == .failed("connection closed before a health response"))
    }
}
