import Platform
import TestSupport
import Testing
@testable import Gossip
import Wire

/// A few Serf cores wired back to back: packets and streams are delivered at once, time moves in
/// 10 ms steps. Enough to run keyring queries end to end without sockets.
private final class SerfBench {
    final class Random: RandomSource {
        var rng: SplitMix64
        init(seed: UInt64) { rng = SplitMix64(seed: seed) }
        func nextUInt64() -> UInt64 { rng.next() }
    }

    var nodes: [Serf] = []
    var now = Instant(nanoseconds: 1_000_000_000)
    var finished: [Int: [(handle: UInt64, result: KeyringQueryResult)]] = [:]

    init(keyrings: [Keyring?]) {
        for (i, keyring) in keyrings.enumerated() {
            let config = MemberlistConfig.local(name: "n\(i)", addr: [10, 0, 0, UInt8(i + 1)], port: 7946)
            nodes.append(Serf(memberlistConfig: config, tags: [:], random: Random(seed: UInt64(i + 1)), now: now, keyring: keyring))
        }
    }

    func address(_ i: Int) -> SocketAddress { SocketAddress(host: "10.0.0.\(i + 1)", port: 7946) }
    func index(of address: SocketAddress) -> Int? { (0..<nodes.count).first { self.address($0) == address } }

    func pump() {
        var busy = true
        while busy {
            busy = false
            for (i, serf) in nodes.enumerated() {
                for action in serf.takeActions() {
                    busy = true
                    switch action {
                    case .sendPacket(let to, let bytes):
                        guard let j = index(of: to) else { continue }
                        nodes[j].receivePacket(bytes, from: address(i), now: now)
                    case .openStream(let id, let to, let bytes, let expectsReply, _):
                        guard let j = index(of: to), let (message, _) = try? MemberlistCodec.decodeStream(bytes) else {
                            serf.streamFinished(id: id, reply: nil, error: "unreachable", now: now); continue
                        }
                        let reply = nodes[j].receiveStream(message, from: address(i), now: now)
                        let decoded = expectsReply ? reply.flatMap { try? MemberlistCodec.decodeStream($0)?.message } : nil
                        serf.streamFinished(id: id, reply: decoded, error: nil, now: now)
                    case .joinFinished, .warning:
                        break
                    }
                }
                _ = serf.takeEvents()
                finished[i, default: []] += serf.takeFinishedKeyringQueries()
            }
        }
    }

    func run(nanoseconds: UInt64) {
        let end = now.adding(nanoseconds: nanoseconds)
        while now < end {
            now = now.adding(nanoseconds: 10_000_000)
            for serf in nodes where serf.nextDeadline <= now { serf.tick(now: now) }
            pump()
        }
    }

    /// Starts a query on node `i` and runs until it reports (bounded by the query timeout).
    func query(_ i: Int, _ operation: KeyringOperation, _ key: [UInt8] = []) -> KeyringQueryResult? {
        let handle = nodes[i].keyringQuery(operation, key: key, now: now)
        pump()
        for _ in 0..<1000 {
            if let done = finished[i]?.first(where: { $0.handle == handle }) { return done.result }
            run(nanoseconds: 10_000_000)
        }
        return nil
    }

    func joinAll() {
        for i in 1..<nodes.count { nodes[i].join([address(0)], ignoreOld: true, now: now) }
        pump()
        run(nanoseconds: 3_000_000_000)
    }
}

@Suite struct SerfKeyringTests {
    let k1 = [UInt8](repeating: 1, count: 32), k2 = [UInt8](repeating: 2, count: 16)
    var b64k1: String { Base64.encode(k1) }
    var b64k2: String { Base64.encode(k2) }

    @Test func rotationThroughQueriesReachesEveryMember() throws {
        // install → use → remove issued on one member changes every member's keyring, and list counts nodes per key.
        let bench = SerfBench(keyrings: Array(repeating: try Keyring(keys: [k1]), count: 3))
        bench.joinAll()
        #expect(bench.nodes.allSatisfy { $0.members.filter { $0.status == .alive }.count == 3 })

        let listed = try #require(bench.query(0, .list))
        #expect(listed.numNodes == 3 && listed.numResponses == 3 && listed.error == nil)
        #expect(listed.keys == [b64k1: 3])
        #expect(listed.primaryKeys == [b64k1: 3])

        #expect(try #require(bench.query(1, .install, k2)).error == nil)
        #expect(bench.nodes.allSatisfy { $0.keyring?.keys == [k1, k2] })
        #expect(try #require(bench.query(0, .list)).keys == [b64k1: 3, b64k2: 3])

        #expect(try #require(bench.query(2, .use, k2)).error == nil)
        #expect(bench.nodes.allSatisfy { $0.keyring?.primaryKey == k2 })

        let refused = try #require(bench.query(0, .remove, k2))
        #expect(refused.error == "3/3 nodes reported failure")
        #expect(refused.messages == ["n0": "Removing the primary key is not allowed", "n1": "Removing the primary key is not allowed",
                                     "n2": "Removing the primary key is not allowed"])

        #expect(try #require(bench.query(0, .remove, k1)).error == nil)
        let after = try #require(bench.query(1, .list))
        #expect(after.keys == [b64k2: 3])
        #expect(after.primaryKeys == [b64k2: 3])
        // Each change is offered to the driver once, for the keyring file.
        #expect(bench.nodes[0].takeKeyringChange()?.keys == [k2])
        #expect(bench.nodes[0].takeKeyringChange() == nil)
    }

    @Test func useOfAnUninstalledKeyAndUnkeyedMembersReportErrors() throws {
        // A member without encryption, or without the key, answers with serf's error text; the originator counts it.
        let bench = SerfBench(keyrings: [try Keyring(keys: [k1]), nil])
        bench.joinAll()
        let use = try #require(bench.query(0, .use, k2))
        #expect(use.error == "2/2 nodes reported failure")
        #expect(use.messages["n0"] == "Requested key is not in the keyring")
        #expect(use.messages["n1"] == "No keyring to modify (encryption not enabled)")
        let list = try #require(bench.query(0, .list))
        #expect(list.keys == [b64k1: 1])
        #expect(list.messages["n1"] == "Keyring is empty (encryption not enabled)")
    }

    @Test func aQueryNobodyElseAnswersEndsAtItsTimeout() throws {
        // With a member gone silent the query still ends, after serf's default query timeout, reporting the shortfall.
        let bench = SerfBench(keyrings: [try Keyring(keys: [k1]), try Keyring(keys: [k1])])
        bench.joinAll()
        let handle = bench.nodes[0].keyringQuery(.list, key: [], now: bench.now)
        // Deliver nothing to n1: only n0's own answer counts.
        let deadline = bench.nodes[0].nextDeadline
        #expect(bench.nodes[0].defaultQueryTimeoutNanos(members: 2) == 100_000_000 * 16)
        bench.nodes[0].tick(now: bench.now.adding(nanoseconds: 100_000_000 * 16))
        let results = bench.nodes[0].takeFinishedKeyringQueries()
        #expect(deadline <= bench.now.adding(nanoseconds: 100_000_000 * 16))
        let result = try #require(results.first { $0.handle == handle }?.result)
        #expect(result.numResponses == 1)
        #expect(result.error == "1/2 nodes reported success")
    }

    @Test func keyResponseWireShape() throws {
        // The response payload is [8]{Keys, Message, PrimaryKey, Result} with keys sorted as go-msgpack writes struct fields.
        let bench = SerfBench(keyrings: [try Keyring(keys: [[UInt8](repeating: 0, count: 16)])])
        let payload = bench.nodes[0].keyResponse(.list, payload: [])
        #expect(hexString(payload) == "0884" + "a44b657973" + "91" + "b8" + hexString(Array("AAAAAAAAAAAAAAAAAAAAAA==".utf8))
            + "a74d657373616765" + "a0" + "aa5072696d6172794b6579" + "b8" + hexString(Array("AAAAAAAAAAAAAAAAAAAAAA==".utf8))
            + "a6526573756c74" + "c3")
    }
}
