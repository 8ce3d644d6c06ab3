import Gossip
import Platform
import Simulation
import Testing

/// The production gossip cores in the simulated network: convergence, failure detection,
/// resilience to loss, refutation. Times are simulated; nothing sleeps.
@Suite struct GossipSimulationTests {
    static let second: UInt64 = 1_000_000_000

    /// Builds an n-node pool where every node joins through node 0, staggered over 5 s.
    func joinedPool(seed: UInt64, nodes n: Int) -> GossipSimulation {
        let sim = GossipSimulation(seed: seed, nodeCount: n)
        for i in 1..<n {
            sim.world.schedule(at: UInt64(i) * 5 * Self.second / UInt64(n)) { sim.join(i, seeds: [0]) }
        }
        return sim
    }

    func aliveEverywhere(_ sim: GossipSimulation, count: Int, except dead: Set<Int> = []) -> Bool {
        sim.nodes.filter { !dead.contains($0.index) }.allSatisfy { node in
            node.view.values.filter { $0 == .alive }.count == count
        }
    }

    /// 100 nodes that each know only node 0 all learn about all 100 through gossip and push/pull.
    @Test func hundredNodesConverge() {
        let sim = joinedPool(seed: 1, nodes: 100)
        var convergedAt: UInt64?
        for step in 1...60 {
            sim.run(until: UInt64(step) * Self.second)
            if aliveEverywhere(sim, count: 100) { convergedAt = sim.now; break }
        }
        print("gossip simulation: 100 nodes converged at \(Double(convergedAt ?? 0) / 1e9) s")
        #expect(convergedAt != nil, "not converged after 60 s")
        #expect(sim.joinResults.count == 99 && sim.joinResults.values.allSatisfy { $0.joined == 1 })
        // Nobody was ever declared failed on a clean network.
        #expect(sim.nodes.allSatisfy { $0.events.allSatisfy { if case .memberFailed = $1 { false } else { true } } })
    }

    /// A SIGKILLed node is marked failed by every other node, no sooner than the minimum
    /// suspicion timeout and within the maximum plus dissemination time.
    @Test func killedNodeDetected() {
        let sim = joinedPool(seed: 2, nodes: 100)
        sim.run(until: 40 * Self.second)
        #expect(aliveEverywhere(sim, count: 100))
        let victim = 42
        let killedAt = sim.now
        sim.kill(victim)
        var detectedAt: UInt64?
        for _ in 0..<120 {
            sim.run(forSeconds: 1)
            let others = sim.nodes.filter { $0.index != victim }
            if others.allSatisfy({ $0.view["node-42"] == .failed }) { detectedAt = sim.now; break }
        }
        let detected = try! #require(detectedAt, "node-42 not failed everywhere after 120 s")
        let bounds = (min: 8 * Self.second, max: 48 * Self.second)   // N = 100, LAN: 4 × 2 × 1 s … ×6
        let firstFailure = sim.nodes.compactMap { node in
            node.events.first { if case .memberFailed(let m) = $0.event { m.name == "node-42" } else { false } }?.time
        }.min()!
        #expect(firstFailure - killedAt >= bounds.min)
        #expect(detected - killedAt <= bounds.max + 10 * Self.second)
        #expect(aliveEverywhere(sim, count: 99, except: [victim]))
    }

    /// With 10 % of datagrams lost, healthy nodes are probed, suspected now and then, and always
    /// refute in time: nobody is ever declared failed.
    @Test func noFalseFailuresAtTenPercentLoss() {
        let sim = joinedPool(seed: 3, nodes: 50)
        for step in 1...60 where !aliveEverywhere(sim, count: 50) { sim.run(until: UInt64(step) * Self.second) }
        #expect(aliveEverywhere(sim, count: 50))
        sim.lossRate = 0.10
        sim.run(until: 150 * Self.second)
        #expect(sim.packetsLost > 1000)
        for node in sim.nodes {
            let failures = node.events.filter { if case .memberFailed = $0.event { true } else { false } }
            #expect(failures.isEmpty, "\(node.name) saw \(failures.count) false failures")
        }
        #expect(aliveEverywhere(sim, count: 50))
    }

    /// A node accused of being suspect gossips a higher incarnation and stays alive everywhere.
    @Test func suspicionIsRefuted() {
        let sim = joinedPool(seed: 4, nodes: 10)
        sim.run(until: 20 * Self.second)
        #expect(aliveEverywhere(sim, count: 10))
        let before = sim.nodes[7].serf.memberlist.localNode.incarnation
        sim.with(3) { serf, now in
            let node = serf.memberlist.nodes["node-7"]!
            let suspect = MemberlistCodec.encode(.suspect(Suspect(incarnation: node.incarnation, node: "node-7", from: "node-3")))
            serf.receivePacket(suspect, from: SocketAddress(host: "10.0.0.4", port: 8301), now: now)
        }
        #expect(sim.nodes[3].serf.memberlist.nodes["node-7"]?.state == .suspect)
        sim.run(forSeconds: 60)
        #expect(sim.nodes[7].serf.memberlist.localNode.incarnation > before)
        #expect(sim.nodes[7].serf.memberlist.stats.refutations >= 1)
        #expect(aliveEverywhere(sim, count: 10))
        #expect(sim.nodes.allSatisfy { $0.serf.memberlist.nodes["node-7"]?.state == .alive })
    }

    /// A graceful leave is seen as `left` (not failed) everywhere.
    @Test func gracefulLeaveIsLeft() {
        let sim = joinedPool(seed: 5, nodes: 10)
        sim.run(until: 20 * Self.second)
        sim.leave(5)
        sim.run(forSeconds: 3)
        sim.memberlistLeave(5)
        sim.run(forSeconds: 5)
        sim.kill(5)
        sim.run(forSeconds: 30)
        for node in sim.nodes where node.index != 5 {
            #expect(node.view["node-5"] == .left, "\(node.name) sees node-5 as \(String(describing: node.view["node-5"]))")
        }
    }

    /// A partition heals: the failed halves reconnect and everyone is alive again.
    @Test func partitionHeals() {
        let sim = joinedPool(seed: 6, nodes: 12)
        sim.run(until: 20 * Self.second)
        sim.partition(Array(0..<6), Array(6..<12))
        sim.run(forSeconds: 90)
        #expect(sim.nodes[0].view["node-9"] == .failed)
        sim.heal()
        sim.run(forSeconds: 120)
        #expect(aliveEverywhere(sim, count: 12))
    }

    /// User events reach every node exactly once.
    @Test func userEventsDeliveredOnce() throws {
        let sim = joinedPool(seed: 7, nodes: 20)
        sim.run(until: 20 * Self.second)
        sim.with(4) { serf, now in try! serf.userEvent(name: "deploy", payload: Array("v2".utf8), coalesce: false, now: now) }
        sim.run(forSeconds: 20)
        for node in sim.nodes {
            let deliveries = node.events.filter { if case .user(let name, _, _, _) = $0.event { name == "deploy" } else { false } }
            #expect(deliveries.count == 1, "\(node.name) got \(deliveries.count)")
        }
    }
}
