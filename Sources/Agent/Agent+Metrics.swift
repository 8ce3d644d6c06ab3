import Config
import Metrics

extension Agent {
    /// The registry as `telemetry` asks: the prefix, and the host name in gauge names when a
    /// sink is on (Prometheus, statsd, DogStatsD) and `disable_hostname` is not, as Consul.
    static func makeMetrics(_ config: AgentConfig, _ environment: AgentEnvironment) -> MetricsRegistry {
        let telemetry = config.telemetry
        let sinkOn = telemetry.prometheusRetentionNanoseconds > 0 || !telemetry.statsdAddress.isEmpty || !telemetry.dogstatsdAddress.isEmpty
        let hostname = sinkOn && !telemetry.disableHostname ? config.nodeName : nil
        return MetricsRegistry(prefix: telemetry.metricsPrefix, gaugeInfix: hostname,
                               wallNanoseconds: environment.clock.wallClockNanoseconds,
                               filterDefault: telemetry.filterDefault, prefixFilter: telemetry.prefixFilter)
    }

    /// Once a second: the registry's clock, the runtime gauges, gossip health, and the server's
    /// own gauges (as Consul's metrics loops do).
    func startMetrics() {
        var second = 0
        func tick() {
            metricsTimer = environment.clock.schedule(after: 1_000_000_000) { [weak self] in
                guard let self, !self.stopping else { return }
                second += 1
                self.recordMetrics(second: second)
                tick()
            }
        }
        recordMetrics(second: 0)
        tick()
    }

    func recordMetrics(second: Int) {
        metrics.tick(wallNanoseconds: environment.clock.wallClockNanoseconds)
        let m = agentMetrics!
        if let facts = environment.processFacts?() {
            if let v = facts.heapInUseBytes { m.allocBytes.set(v) }
            if let v = facts.heapSystemBytes { m.sysBytes.set(v) }
            if let v = facts.residentMemoryBytes { m.rssBytes.set(v) }
            if let v = facts.threads { m.threads.set(v) }
            if let v = facts.openFDs { m.openFDs.set(v) }
        }
        if let lanPool { m.lan.healthScore.set(Double(lanPool.serf.memberlist.healthScore)) }
        if let wanPool { m.wan.healthScore.set(Double(wanPool.serf.memberlist.healthScore)) }
        server?.recordMetrics(second: second)
    }
}
