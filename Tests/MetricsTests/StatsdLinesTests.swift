import Metrics
import Testing

/// The statsd and DogStatsD lines go-metrics' sinks write, packed into datagrams.
@Suite struct StatsdLinesTests {
    private func lines(_ sink: StatsdLines) -> [String] {
        sink.take().flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) }
    }

    @Test func statsdAppendsLabelValuesAndPrintsSixDecimals() {
        let r = MetricsRegistry(prefix: "consul", gaugeInfix: "host1", wallNanoseconds: 0)
        let sink = StatsdLines(.statsd, hostInfix: "host1")
        r.addSink(sink)
        r.counter("raft.apply").increment()
        r.gauge("runtime.alloc_bytes").set(1234567)
        r.sample("api.http", labels: [("method", "GET"), ("path", "v1_kv_")]).observe(0.25)
        r.sample("odd name", labels: [("k", "a:b")]).observe(-2)
        #expect(lines(sink) == ["consul.raft.apply:1.000000|c", "consul.host1.runtime.alloc_bytes:1234567.000000|g",
                                "consul.api.http.GET.v1_kv_:0.250000|ms", "consul.odd_name.a_b:-2.000000|ms"])
        #expect(sink.take().isEmpty, "taken once")
    }

    @Test func dogstatsdTagsLabelsAndDropsTheHostFromGaugeNames() {
        let r = MetricsRegistry(prefix: "consul", gaugeInfix: "host1", wallNanoseconds: 0)
        let sink = StatsdLines(.dogstatsd(tags: ["env:prod"]), hostInfix: "host1")
        r.addSink(sink)
        r.counter("raft.apply").increment(by: 3)
        r.gauge("runtime.alloc_bytes").set(1.5)
        r.sample("raft.replication.appendEntries.rpc", labels: [("peer_id", "a1-b2/c.d")]).observe(0.125)
        #expect(lines(sink) == ["consul.raft.apply:3|c|#env:prod", "consul.runtime.alloc_bytes:1.5|g|#env:prod",
                                "consul.raft.replication.appendEntries.rpc:0.125|ms|#env:prod,peer_id:a1_b2_c_d"])
    }

    @Test func filteredMetricsAreNotSentAndDatagramsStayUnderTheBound() {
        let r = MetricsRegistry(prefix: "consul", wallNanoseconds: 0, prefixFilter: ["-consul.raft"])
        let sink = StatsdLines(.statsd, hostInfix: nil)
        r.addSink(sink)
        r.counter("raft.apply").increment()
        #expect(sink.take().isEmpty)
        let m = r.counter("kvs.apply.with.a.rather.long.name.to.fill.datagrams.quickly")
        for _ in 0..<500 { m.increment() }
        let datagrams = sink.take()
        #expect(datagrams.count > 1)
        #expect(datagrams.allSatisfy { $0.count <= StatsdLines.maxDatagram && $0.last == 10 })
        #expect(datagrams.reduce(0) { $0 + $1.filter { $0 == 10 }.count } == 500, "no line lost or split")
    }

    @Test func goFormats() {
        #expect(GoFloat.fixed6(0) == "0.000000")
        #expect(GoFloat.fixed6(1.5) == "1.500000")
        #expect(GoFloat.fixed6(-0.0000004) == "0.000000")
        #expect(GoFloat.fixed6(-2.25) == "-2.250000")
        #expect(GoFloat.fixed6(123_456_789_012.5) == "123456789012.500000")
        #expect(GoFloat.fixed6(0.9999999) == "1.000000")
        #expect(GoFloat.plainShortest(1e21) == "1000000000000000000000")
        #expect(GoFloat.plainShortest(0.00001) == "0.00001")
        #expect(GoFloat.plainShortest(-3) == "-3")
        #expect(GoFloat.plainShortest(0) == "0")
    }
}
