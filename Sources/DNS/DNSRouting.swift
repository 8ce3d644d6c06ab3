/// Where a query belongs — our catalog, another datacenter's, or a recursor — from its name
/// alone (the agent decides who answers; agent.md §1.2 grammar).
extension ConsulDNSResponder {
    /// The labels before the domain split at the query kind (`service`, `node`, …; an RFC 2782
    /// `_name._proto` SRV name counts as `service`): (kind, the labels before it, those after).
    static func splitAtKind(_ labels: [Substring], type: DNSType)
        -> (kind: Substring, parts: ArraySlice<Substring>, suffix: ArraySlice<Substring>)? {
        if let k = labels.lastIndex(where: Self.isKind) {
            return (labels[k], labels[..<k], labels[(k + 1)...])
        }
        if type == .srv, let u = labels.lastIndex(where: { $0.hasPrefix("_") }) {
            return ("service", labels[...u], labels[(u + 1)...])
        }
        return nil
    }

    /// The datacenter a name's suffix names (`<dc>` or `<dc>.dc`): nil inside = none named
    /// (ours); nil outside = a suffix we do not support (peers, partitions).
    static func datacenter(in suffix: ArraySlice<Substring>) -> String?? {
        switch suffix.count {
        case 0: return .some(nil)
        case 1: return String(suffix[suffix.startIndex])
        case 2 where suffix[suffix.startIndex + 1] == "dc": return String(suffix[suffix.startIndex])
        default: return nil
        }
    }

    /// Who can answer a query: names outside our domains go to recursors, reverse names and
    /// names of our datacenter to our catalog, and names of another datacenter to its servers.
    public enum Route: Equatable, Sendable {
        case outside
        case reverse
        case local
        case datacenter(String)
    }

    /// The route of a raw query (malformed or multi-question queries are `.local`: the
    /// responder answers them with FORMERR or NOTIMP).
    public func route(packet: [UInt8]) -> Route {
        guard let query = Self.standardQuery(packet) else { return .local }
        let question = query.questions[0]
        let qname = Self.canonical(question.name)
        guard let zone = self.zone(of: qname) else {
            return qname.hasSuffix(".in-addr.arpa.") || qname.hasSuffix(".ip6.arpa.") ? .reverse : .outside
        }
        guard qname.utf8.count > zone.utf8.count else { return .local }
        let labels = qname.dropLast(zone.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        guard let (kind, _, suffix) = Self.splitAtKind(labels, type: question.type), kind != "addr",
              let named = Self.datacenter(in: suffix), let dc = named, dc.lowercased() != lookup.datacenter.lowercased()
        else { return .local }
        return .datacenter(dc)
    }
}
