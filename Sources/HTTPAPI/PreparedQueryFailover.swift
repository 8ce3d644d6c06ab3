import ConsulAPI
import ConsulState
import HTTP1

/// A prepared query's failover (http-api.md §10.2): when this datacenter has no instance, the
/// query's NearestN and listed datacenters are asked in turn; shared by `/execute` and DNS.
extension ConsulHTTPAPI {
    /// The query's instances here, or from the first failover datacenter that has some:
    /// `completion(rows, datacenter, failovers tried)`.
    public func preparedQueryResults(_ q: PreparedQuery, localRows rows: [ServiceHealth],
                                     completion: @escaping ([ServiceHealth], String, Int) -> Void) {
        let targets = failoverTargets(q)
        if !rows.isEmpty || targets.isEmpty || remoteDispatch == nil { return completion(rows, agent.datacenter, 0) }
        failover(q, targets: targets[...], tried: 0, answer: completion)
    }

    /// NearestN other datacenters (in the WAN pool's order), then the listed ones; never our own.
    func failoverTargets(_ q: PreparedQuery) -> [String] {
        let local = agent.datacenter
        var out: [String] = []
        for dc in agent.knownDatacenters where dc != local && out.count < q.failoverNearestN { out.append(dc) }
        for dc in q.failoverDatacenters where dc != local && !out.contains(dc) { out.append(dc) }
        return out
    }

    /// Asks each failover datacenter in turn for the service's health and applies the query's
    /// rules here; the first with instances answers.
    private func failover(_ q: PreparedQuery, targets: ArraySlice<String>, tried: Int,
                          answer: @escaping ([ServiceHealth], String, Int) -> Void) {
        guard let dc = targets.first, let dispatch = remoteDispatch else { return answer([], agent.datacenter, tried) }
        let target = "/v1/health/service/" + percentEncode(q.service, keep: "") + "?dc=" + percentEncode(dc, keep: "")
        guard let remote = try? HTTPRequest(method: "GET", target: target, headers: HTTPHeaders(), body: []) else {
            return answer([], agent.datacenter, tried)
        }
        dispatch(remote, Responder { [self] response in
            let rows = response.status == 200 ? PreparedQueryEndpoint.healthRows(response.body) : []
            let kept = PreparedQueryFilter.apply(q, to: rows)
            if !kept.isEmpty { return answer(kept, dc, tried + 1) }
            failover(q, targets: targets.dropFirst(), tried: tried + 1, answer: answer)
        })
    }
}
