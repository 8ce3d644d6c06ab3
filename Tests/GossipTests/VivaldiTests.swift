import Testing
@testable import Gossip

/// A coordinate at `vec` (padded with zeros to 8 dimensions).
private func coord(_ vec: [Double], error: Double = 1.5, adjustment: Double = 0, height: Double = 1.0e-5) -> Coordinate {
    Coordinate(vec: vec + Array(repeating: 0, count: 8 - vec.count), error: error, adjustment: adjustment, height: height)
}

/// Deterministic peer choice for the simulations.
private struct TestRNG {
    var state: UInt64
    mutating func next(below n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}

@Suite struct VivaldiTests {
    @Test func distanceIsEuclideanPlusHeights() {
        // Proves distance = ‖Va−Vb‖ + Ha + Hb, symmetric, with no adjustment.
        let a = coord([0.003, 0.004], height: 0.001)
        let b = coord([], height: 0.002)
        #expect(abs(a.distance(to: b) - 0.008) < 1e-12)
        #expect(abs(b.distance(to: a) - 0.008) < 1e-12)
    }

    @Test func adjustmentAppliesOnlyWhileDistanceStaysPositive() {
        // Proves the adjustments are added when the sum stays positive and ignored otherwise.
        let a = coord([0.003, 0.004], adjustment: 0.002, height: 0.001)
        let b = coord([], adjustment: -0.001, height: 0.002)
        #expect(abs(a.distance(to: b) - 0.009) < 1e-12)

        let c = coord([0.003, 0.004], adjustment: -0.005, height: 0.001)
        let d = coord([], adjustment: -0.004, height: 0.002)
        #expect(abs(c.distance(to: d) - 0.008) < 1e-12)   // 0.008 − 0.009 ≤ 0: raw distance
    }

    @Test func validityRequiresEightFiniteDimensions() {
        // Proves isValid rejects wrong dimensionality and every kind of non-finite component.
        #expect(Coordinate().isValid)
        #expect(!Coordinate(vec: [0, 0, 0]).isValid)
        #expect(!coord([.nan]).isValid)
        #expect(!coord([.infinity]).isValid)
        #expect(!coord([], error: .nan).isValid)
        #expect(!coord([], adjustment: .infinity).isValid)
        #expect(!coord([], height: -.infinity).isValid)
    }

    @Test func invalidSamplesAreRejectedWithoutSideEffects() {
        // Proves bad coordinates and out-of-range RTTs return false and change nothing.
        var client = VivaldiClient(seed: 1)
        let start = client.coordinate
        let good = coord([0.01])
        let bad: [(Coordinate, Double)] = [
            (coord([.nan]), 0.01), (coord([], error: .infinity), 0.01), (Coordinate(vec: [0, 0]), 0.01),
            (coord([], error: -1), 0.01), (coord([], height: -1e-5), 0.01),
            (good, 0), (good, -0.01), (good, 10.5), (good, .nan), (good, .infinity),
        ]
        for (i, (other, rtt)) in bad.enumerated() {
            let accepted = client.update(node: "n", other: other, rttSeconds: rtt)
            #expect(!accepted, "case \(i) should be rejected")
        }
        #expect(client.coordinate == start)
        #expect(client.trackedPeerCount == 0)
        let accepted = client.update(node: "n", other: good, rttSeconds: 10)
        #expect(accepted)
        #expect(client.coordinate != start)
    }

    @Test func medianFilterIgnoresSingleOutlier() {
        // Proves one outlying RTT among three leaves the result identical to a clean series, per
        // peer, and that forget drops the peer's history.
        let peer = coord([0.02], error: 0.5)
        var noisy = VivaldiClient(seed: 9)
        var clean = VivaldiClient(seed: 9)
        for rtt in [0.010, 0.010, 0.500] {
            noisy.update(node: "b", other: peer, rttSeconds: rtt)
        }
        for _ in 0..<3 { clean.update(node: "b", other: peer, rttSeconds: 0.010) }
        #expect(noisy.coordinate == clean.coordinate)

        // Without its history, the same outlier is taken at face value.
        noisy.forget(node: "b")
        clean.forget(node: "b")
        #expect(noisy.trackedPeerCount == 0)
        noisy.update(node: "b", other: peer, rttSeconds: 0.500)
        clean.update(node: "b", other: peer, rttSeconds: 0.010)
        #expect(noisy.coordinate != clean.coordinate)
    }

    @Test func latencyFilterTableIsBounded() {
        // Proves the per-peer table never exceeds its maximum and evicts the least recently sampled.
        var client = VivaldiClient(config: VivaldiConfig(latencyFilterPeersMax: 2), seed: 3)
        let peer = coord([0.01])
        client.update(node: "a", other: peer, rttSeconds: 0.01)
        client.update(node: "b", other: peer, rttSeconds: 0.01)
        client.update(node: "a", other: peer, rttSeconds: 0.01)
        client.update(node: "c", other: peer, rttSeconds: 0.01)   // evicts b
        #expect(client.trackedPeerCount == 2)

        // a kept its two samples: a third outlier is filtered out, matching a clean twin.
        var twin = client
        client.update(node: "a", other: peer, rttSeconds: 0.9)
        twin.update(node: "a", other: peer, rttSeconds: 0.01)
        #expect(client.coordinate == twin.coordinate)
    }

    @Test func adjustmentIsHalfTheWindowMeanResidual() {
        // Proves adjustment = Σ(rtt − raw distance) / (2 · window), over a window of 20 samples.
        // cc = 0 and a negligible gravity freeze the position, so the residual stays constant.
        var client = VivaldiClient(config: VivaldiConfig(cc: 0, gravityRho: 1e12), seed: 5)
        let peer = Coordinate()
        let rtt = 0.010
        let residual = rtt - 2.0e-5   // both heights at the 10 µs minimum
        client.update(node: "p", other: peer, rttSeconds: rtt)
        #expect(abs(client.coordinate.adjustment - residual / 40) < 1e-9)
        for _ in 0..<30 { client.update(node: "p", other: peer, rttSeconds: rtt) }
        #expect(abs(client.coordinate.adjustment - residual / 2) < 1e-9)
    }

    @Test func coincidentCoordinatesSeparate() {
        // Proves two nodes at the same point move apart along a seeded random direction.
        var a = VivaldiClient(seed: 11)
        var b = VivaldiClient(seed: 12)
        #expect(a.coordinate.vec == b.coordinate.vec)
        let bStart = b.coordinate
        a.update(node: "b", other: bStart, rttSeconds: 0.010)
        let aAfterOne = a.coordinate
        b.update(node: "a", other: a.coordinate, rttSeconds: 0.010)
        let moved = aAfterOne.vec.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(moved > 1e-3)
        #expect(aAfterOne.distance(to: b.coordinate) > aAfterOne.distance(to: bStart))

        // Same seed replays the same direction; another seed picks another.
        var replay = VivaldiClient(seed: 11)
        var other = VivaldiClient(seed: 13)
        replay.update(node: "b", other: bStart, rttSeconds: 0.010)
        other.update(node: "b", other: bStart, rttSeconds: 0.010)
        #expect(replay.coordinate == aAfterOne)
        #expect(other.coordinate.vec != aAfterOne.vec)
    }

    @Test func gridConverges() {
        // Proves a 3×3 grid with 10 ms spacing, probed in a seeded random order, settles on
        // coordinates whose distances are within 20 % of every true RTT.
        let side = 3
        let spacing = 0.010
        let n = side * side
        var truth = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        for i in 0..<n {
            for j in 0..<n {
                let dx = Double(i % side - j % side), dy = Double(i / side - j / side)
                truth[i][j] = spacing * (dx * dx + dy * dy).squareRoot()
            }
        }
        var clients = (0..<n).map { VivaldiClient(seed: UInt64($0) + 100) }
        var rng = TestRNG(state: 42)
        for _ in 0..<1000 {
            for i in 0..<n {
                var j = rng.next(below: n - 1)
                if j >= i { j += 1 }
                let other = clients[j].coordinate
                let accepted = clients[i].update(node: "n\(j)", other: other, rttSeconds: truth[i][j])
                if !accepted { Issue.record("sample \(i)→\(j) rejected") }
            }
        }
        var worst = 0.0
        for i in 0..<n {
            for j in 0..<n where i != j {
                let estimate = clients[i].coordinate.distance(to: clients[j].coordinate)
                worst = max(worst, abs(estimate - truth[i][j]) / truth[i][j])
            }
        }
        #expect(worst < 0.2, "worst relative error \(worst)")
        #expect(clients.allSatisfy { $0.resets == 0 && $0.coordinate.isValid })
    }
}
