import TestSupport
import Testing
@testable import Server
import Wire

/// Drains every complete frame the decoder holds.
func drain(_ d: inout RPCFrameDecoder) throws -> [RPCFrame] {
    var out: [RPCFrame] = []
    while let f = try d.next() { out.append(f) }
    return out
}

let sampleFrames: [RPCFrame] = [
    .raft([1, 2, 3]),
    RPCFrame(kind: .request, id: 1, payload: RPCRequest(method: .apply, deadlineMilliseconds: 5000, body: [9, 9]).encode()),
    RPCFrame(kind: .response, id: .max, payload: []),
    RPCFrame(kind: .request, id: 0x0102_0304_0506_0708, payload: Array(repeating: 0xAB, count: 300)),
    .raft([]),
]

@Suite struct RPCFrameTests {
    /// The header layout from docs/rpc.md, byte for byte.
    @Test func goldenBytes() {
        #expect(RPCPreamble.bytes == Array("SCR1".utf8))
        let f = RPCFrame(kind: .request, id: 0x0102_0304_0506_0708, payload: [0xAA])
        #expect(f.encode() == [0, 0, 0, 10, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0xAA])
        #expect(RPCFrame.raft([]).encode() == [0, 0, 0, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(f.declaredLength == 10)
    }

    /// However TCP splits the stream — at any single byte boundary, or byte by byte — the
    /// decoder yields the same frames in the same order.
    @Test func splitAtEveryBoundaryGivesSameFrames() throws {
        let stream = sampleFrames.flatMap { $0.encode() }
        for cut in 0...stream.count {
            var d = RPCFrameDecoder()
            d.append(Array(stream[..<cut]))
            var got = try drain(&d)
            Array(stream[cut...]).withUnsafeBytes { d.append($0) }
            got += try drain(&d)
            #expect(got == sampleFrames, "cut at \(cut)")
            #expect(d.bufferedByteCount == 0)
        }
        var d = RPCFrameDecoder()
        var got: [RPCFrame] = []
        for b in stream {
            d.append([b])
            got += try drain(&d)
        }
        #expect(got == sampleFrames)
    }

    /// Many frames fed in odd-sized chunks exercise the read offset and compaction.
    @Test func longStreamInChunks() throws {
        var rng = SplitMix64(seed: 42)
        let frames = (0..<5_000).map { i in
            RPCFrame(kind: [.raft, .request, .response][i % 3], id: UInt64(i),
                     payload: randomBytes(Int.random(in: 0...200, using: &rng), &rng))
        }
        let stream = frames.flatMap { $0.encode() }
        var d = RPCFrameDecoder()
        var got: [RPCFrame] = []
        var at = 0
        while at < stream.count {
            let n = min(Int.random(in: 1...3000, using: &rng), stream.count - at)
            d.append(Array(stream[at..<(at + n)]))
            at += n
            got += try drain(&d)
        }
        #expect(got == frames)
        #expect(d.bufferedByteCount == 0)
    }

    /// A 4 MiB payload (a large append batch) passes intact.
    @Test func largeFrame() throws {
        let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 3) }
        let f = RPCFrame(kind: .raft, id: 0, payload: payload)
        var d = RPCFrameDecoder()
        let bytes = f.encode()
        d.append(Array(bytes[..<1000]))
        #expect(try d.next() == nil)
        d.append(Array(bytes[1000...]))
        #expect(try d.next() == f)
    }

    /// The accepting side checks `SCR1` first, however it arrives, and refuses anything else.
    @Test func preamble() throws {
        try RPCPreamble.check(Array("SCR1".utf8))
        #expect(throws: RPCDecodeError.unsupportedVersion(0x32)) { try RPCPreamble.check(Array("SCR2".utf8)) }
        #expect(throws: RPCDecodeError.badPreamble(Array("GET ".utf8))) { try RPCPreamble.check(Array("GET ".utf8)) }
        #expect(throws: RPCDecodeError.badPreamble([0x53])) { try RPCPreamble.check([0x53]) }

        let stream = RPCPreamble.bytes + sampleFrames.flatMap { $0.encode() }
        for cut in 0...8 {
            var d = RPCFrameDecoder(expectsPreamble: true)
            d.append(Array(stream[..<cut]))
            var got = try drain(&d)
            d.append(Array(stream[cut...]))
            got += try drain(&d)
            #expect(got == sampleFrames)
        }
        var bad = RPCFrameDecoder(expectsPreamble: true)
        bad.append(Array("PRI * HTTP/2.0".utf8))
        #expect(throws: RPCDecodeError.badPreamble(Array("PRI ".utf8))) { try bad.next() }
    }

    /// Lengths outside [9, frameBytesMax] and unknown kinds fail as soon as the header shows
    /// them, before the body is buffered; the error then sticks.
    @Test func badHeadersError() throws {
        var big = RPCFrameDecoder()
        big.append([0x04, 0x00, 0x00, 0x01]) // 64 MiB + 1
        #expect(throws: RPCDecodeError.frameTooLarge(declared: 64 * 1024 * 1024 + 1, max: 64 * 1024 * 1024)) { try big.next() }
        #expect(throws: RPCDecodeError.self) { try big.next() }
        big.append(RPCFrame.raft([]).encode())
        #expect(throws: RPCDecodeError.self) { try big.next() }

        var exact = RPCFrameDecoder()
        exact.append([0x04, 0x00, 0x00, 0x00])
        #expect(try exact.next() == nil) // exactly the limit: legal, waits for the body

        var small = RPCFrameDecoder(frameBytesMax: 100)
        small.append(RPCFrame.raft(Array(repeating: 0, count: 91)).encode())
        #expect(try small.next()?.payload.count == 91)
        small.append(RPCFrame.raft(Array(repeating: 0, count: 92)).encode())
        #expect(throws: RPCDecodeError.frameTooLarge(declared: 101, max: 100)) { try small.next() }

        var short = RPCFrameDecoder()
        short.append([0, 0, 0, 8])
        #expect(throws: RPCDecodeError.frameTooShort(declared: 8)) { try short.next() }

        for kind: UInt8 in [0, 4, 255] {
            var d = RPCFrameDecoder()
            d.append([0, 0, 0, 9, kind])
            #expect(throws: RPCDecodeError.unknownFrameKind(kind)) { try d.next() }
        }
    }

    /// A truncated frame is not an error, just "need more": the transport's read deadline or
    /// close is what ends it.
    @Test func truncatedFrameWaits() throws {
        let bytes = sampleFrames[3].encode()
        for cut in 0..<bytes.count {
            var d = RPCFrameDecoder()
            d.append(Array(bytes[..<cut]))
            #expect(try d.next() == nil)
            #expect(d.bufferedByteCount == cut)
        }
    }

    /// Random streams never crash the decoder or make it hold more than they sent.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5eed_0002)
        for i in 0..<5_000 {
            var d = RPCFrameDecoder(frameBytesMax: 1 << 16, expectsPreamble: i % 2 == 0)
            var sent = 0
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                var chunk = randomBytes(Int.random(in: 0...40, using: &rng), &rng)
                // Sometimes a plausible header, so the deeper paths run too.
                if Bool.random(using: &rng), chunk.count >= 5 { chunk[0] = 0; chunk[1] = 0; chunk[4] = UInt8.random(in: 1...3, using: &rng) }
                sent += chunk.count
                d.append(chunk)
                // `try?` flattens: nil is both "need more" and an error, and both end the drain.
                while let f = try? d.next() { #expect(f.encode().count <= sent) }
                #expect(d.bufferedByteCount <= sent)
            }
        }
    }
}
