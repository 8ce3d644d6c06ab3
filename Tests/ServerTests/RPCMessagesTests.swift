import TestSupport
import Testing
import ConsulState
@testable import Server
import Wire

@Suite struct RPCMessagesTests {
    /// Requests for every method round-trip, and the layout matches docs/rpc.md.
    @Test func requestRoundTrip() throws {
        for method in [RPCMethod.apply, .readIndex, .forwardHTTP, .peers] {
            for body in [[], [0], Array("GET /v1/kv/a HTTP/1.1\r\n\r\n".utf8)] as [[UInt8]] {
                let r = RPCRequest(method: method, deadlineMilliseconds: .max, body: body)
                #expect(try RPCRequest.decode(r.encode()) == r)
            }
        }
        #expect(RPCRequest(method: .readIndex, deadlineMilliseconds: 0x0102_0304, body: [7]).encode() == [2, 1, 2, 3, 4, 7])
    }

    @Test func requestErrors() {
        #expect(throws: RPCDecodeError.self) { try RPCRequest.decode([]) }
        #expect(throws: RPCDecodeError.self) { try RPCRequest.decode([1, 0, 0, 0]) }
        #expect(throws: RPCDecodeError.unknownTag(field: "request method", value: 0)) { try RPCRequest.decode([0, 0, 0, 0, 0]) }
        #expect(throws: RPCDecodeError.unknownTag(field: "request method", value: 99)) { try RPCRequest.decode([99, 0, 0, 0, 0]) }
    }

    /// Ok bodies and every error code round-trip; status 0 is ok and unknown codes fail.
    @Test func responseRoundTrip() throws {
        var responses: [RPCResponse] = [.ok([]), .ok([0, 1, 2]), .ok(Array(repeating: 7, count: 70_000))]
        for code in [RPCErrorCode.noLeader, .notLeader, .timeout, .rejected, .badRequest, .internal] {
            responses.append(.error(code: code, message: ""))
            responses.append(.error(code: code, message: "leader is 節点-2 🚀"))
        }
        for r in responses { #expect(try RPCResponse.decode(r.encode()) == r) }
        #expect(RPCResponse.ok([5]).encode() == [0, 5])
        #expect(RPCResponse.error(code: .notLeader, message: "s2").encode() == [2, 0x73, 0x32])
    }

    @Test func responseErrors() {
        #expect(throws: RPCDecodeError.self) { try RPCResponse.decode([]) }
        #expect(throws: RPCDecodeError.unknownTag(field: "response status", value: 7)) { try RPCResponse.decode([7]) }
        #expect(throws: RPCDecodeError.invalidUTF8(field: "response error message")) { try RPCResponse.decode([3, 0xFF]) }
    }

    /// The reply bodies: command results, the readIndex u64, the peer list.
    @Test func replyBodies() throws {
        for r in [CommandResult.bool(true), .bool(false), .failure(""), .failure("key \"ä\" is locked")] {
            #expect(try RPCReplyCodec.decodeCommandResult(RPCReplyCodec.encode(r)) == r)
        }
        #expect(RPCReplyCodec.encode(CommandResult.bool(true)) == [1, 1])
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeCommandResult([]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeCommandResult([1]) }
        #expect(throws: RPCDecodeError.badBool(field: "command result bool", value: 2)) { try RPCReplyCodec.decodeCommandResult([1, 2]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeCommandResult([1, 1, 0]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeCommandResult([3]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeCommandResult([2, 0xC0]) }

        for i in [UInt64(0), 1, 0xDEAD_BEEF, .max] {
            #expect(try RPCReplyCodec.decodeIndex(RPCReplyCodec.encode(index: i)) == i)
        }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeIndex([0, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeIndex(Array(repeating: 0, count: 9)) }

        for list in [[], [""], ["10.0.0.1:8300", "[fd00::1]:8300", "節点"]] as [[String]] {
            #expect(try RPCReplyCodec.decodeStrings(RPCReplyCodec.encode(strings: list)) == list)
        }
        #expect(RPCReplyCodec.encode(strings: ["ab"]) == [0, 0, 0, 1, 0, 0, 0, 2, 0x61, 0x62])
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeStrings([0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeStrings([0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: RPCDecodeError.self) { try RPCReplyCodec.decodeStrings([0, 0, 0, 0, 0]) }
    }

    /// Random bytes into every payload decoder: errors, never crashes.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5eed_0003)
        for _ in 0..<20_000 {
            let bytes = randomBytes(Int.random(in: 0...24, using: &rng), &rng)
            _ = try? RPCRequest.decode(bytes)
            _ = try? RPCResponse.decode(bytes)
            _ = try? RPCReplyCodec.decodeCommandResult(bytes)
            _ = try? RPCReplyCodec.decodeIndex(bytes)
            _ = try? RPCReplyCodec.decodeStrings(bytes)
        }
    }
}
