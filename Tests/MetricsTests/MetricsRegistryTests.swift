import Metrics
import Testing

/// The registry aggregates as go-metrics' in-memory sink: per 10-second interval, the last
/// finished one displayed, handles shared by name and labels, totals for Prometheus.
@Suite struct MetricsRegistryTests {
    private let start: Int64 = 1_796_683_060_000_000_000  // on an interval boundary

    @Test func aggregatesPerIntervalAndShowsTheLastFinished() {
        let r = MetricsRegistry(wallNanoseconds: start)
        let apply = r.counter("raft.apply")
        #expect(apply.name == "consul.raft.apply")
        #expect(r.counter("raft.apply") === apply)
        let timer = r.sample("kvs.apply")
        let gauge = r.gauge("raft.last_index")
        apply.increment()
        apply.increment(by: 2)
        timer.observe(2)
        timer.observe(4)
        gauge.set(7)
        gauge.set(9)
        // Still the first interval: it is what is shown.
        #expect(r.displayInterval == r.currentInterval)
        var counters = r.metrics(in: r.displayInterval, kind: .counter)
        #expect(counters.count == 1 && counters[0].aggregate.count == 2 && counters[0].aggregate.sum == 3)
        r.tick(wallNanoseconds: start + 10_000_000_000)
        apply.increment(by: 5)
        // Now the finished interval is shown, not the current one.
        counters = r.metrics(in: r.displayInterval, kind: .counter)
        #expect(counters.count == 1 && counters[0].aggregate.sum == 3)
        let samples = r.metrics(in: r.displayInterval, kind: .sample)
        #expect(samples[0].aggregate.count == 2 && samples[0].aggregate.mean == 3 && samples[0].aggregate.min == 2 && samples[0].aggregate.max == 4)
        #expect(abs(samples[0].aggregate.standardDeviation - 1.4142135623730951) < 1e-12)
        #expect(r.metrics(in: r.displayInterval, kind: .gauge)[0].gauge == 9)
        // Totals keep running for Prometheus.
        #expect(apply.total == 8 && timer.totalCount == 2 && timer.total == 6 && gauge.lastValue == 9)
        // Two intervals on, the first is gone; a metric not updated since has nothing to show.
        r.tick(wallNanoseconds: start + 20_000_000_000)
        #expect(r.metrics(in: r.displayInterval, kind: .counter)[0].aggregate.sum == 5)
        #expect(r.metrics(in: r.displayInterval, kind: .sample).isEmpty)
    }

    @Test func labelsMakeSeparateSeriesSortedAsGoMetrics() {
        let r = MetricsRegistry(wallNanoseconds: start)
        let put = r.sample("api.http", labels: [("method", "PUT"), ("path", "v1_kv_")])
        let get = r.sample("api.http", labels: [("method", "GET"), ("path", "v1_kv_")])
        #expect(put !== get)
        put.observe(1)
        get.observe(1)
        let names = r.metrics(in: r.displayInterval, kind: .sample).map { $0.metric.labels.first!.1 }
        #expect(names == ["GET", "PUT"])
    }

    @Test func gaugeNamesCarryTheHostWhenAsked() {
        let r = MetricsRegistry(prefix: "svc", gaugeInfix: "node-1", wallNanoseconds: start)
        #expect(r.gauge("runtime.alloc_bytes").name == "svc.node-1.runtime.alloc_bytes")
        #expect(r.counter("raft.apply").name == "svc.raft.apply")
    }

    @Test func quantilesOverTheRecentWindow() {
        let r = MetricsRegistry(wallNanoseconds: start)
        let t = r.sample("raft.commitTime")
        #expect(t.quantile(0.5, windowNanoseconds: 10_000_000_000) == nil)
        for v in 1...100 { t.observe(Double(v)) }
        #expect(t.quantile(0.5, windowNanoseconds: 10_000_000_000) == 50)
        #expect(t.quantile(0.99, windowNanoseconds: 10_000_000_000) == 99)
        r.tick(wallNanoseconds: start + 11_000_000_000)
        #expect(t.quantile(0.5, windowNanoseconds: 10_000_000_000) == nil)
    }

    @Test func goFloatFormats() {
        #expect(GoFloat.prometheus(1) == "1")
        #expect(GoFloat.prometheus(0) == "0")
        #expect(GoFloat.prometheus(0.5) == "0.5")
        #expect(GoFloat.prometheus(999_999) == "999999")
        #expect(GoFloat.prometheus(1_234_567) == "1.234567e+06")
        #expect(GoFloat.prometheus(1e6) == "1e+06")
        #expect(GoFloat.prometheus(0.0001) == "0.0001")
        #expect(GoFloat.prometheus(0.00001) == "1e-05")
        #expect(GoFloat.prometheus(-2.5) == "-2.5")
        #expect(GoFloat.prometheus(.nan) == "NaN")
        #expect(GoFloat.prometheus(.infinity) == "+Inf")
        #expect(GoFloat.json(4_704_344) == "4704344")
        #expect(GoFloat.json(0.1817069947719574) == "0.1817069947719574")
        #expect(GoFloat.json(1e21) == "1e+21")
        #expect(GoFloat.json(1e-7) == "1e-7")
        #expect(GoFloat.json(123_456_789_012_345_680) == "123456789012345680")
        #expect(GoFloat.json(0) == "0")
    }
}

/// `telemetry.filter_default` / `prefix_filter`: the longest matching rule decides; a dropped
/// metric records nothing and is not shown.
@Suite struct MetricsFilterTests {
    @Test func prefixRules() {
        let r = MetricsRegistry(wallNanoseconds: 0, filterDefault: false, prefixFilter: ["+consul.raft", "-consul.raft.fsm"])
        #expect(r.allows("consul.raft.apply"))
        #expect(!r.allows("consul.raft.fsm.apply"))
        #expect(!r.allows("consul.kvs.apply"))
        let open = MetricsRegistry(wallNanoseconds: 0)
        #expect(open.allows("consul.kvs.apply"))
        #expect(!open.allows("consul.rpc.server.call"))
        let dropped = r.sample("kvs.apply")
        dropped.observe(3)
        #expect(!dropped.enabled && dropped.totalCount == 0)
        #expect(r.metrics(in: r.displayInterval, kind: .sample).isEmpty)
        let kept = r.counter("raft.apply")
        kept.increment()
        #expect(kept.enabled && kept.total == 1)
    }
}
