import ConsulAPI

/// `name_prefix_match` templates: `${name.full}`, `${name.prefix}`, `${name.suffix}`,
/// `${match(N)}` (capture groups of `Template.Regexp` against the full name) and
/// `${agent.segment}` are replaced in every string of the service lookup.
public enum QueryTemplate {
    static func render(_ template: PreparedQuery, for name: String) -> PreparedQuery {
        var matches: [String] = []
        if !template.templateRegexp.isEmpty, let regex = try? Regex(template.templateRegexp),
           let match = try? regex.firstMatch(in: name) {
            for i in 0..<match.output.count {
                matches.append(match.output[i].substring.map(String.init) ?? "")
            }
        }
        let suffix = String(name.dropFirst(template.name.count))
        func fill(_ s: String) -> String {
            guard s.contains("${") else { return s }
            var out = s.replacingAll("${name.full}", with: name)
            out = out.replacingAll("${name.prefix}", with: template.name)
            out = out.replacingAll("${name.suffix}", with: suffix)
            out = out.replacingAll("${agent.segment}", with: "")
            for i in 0..<10 { out = out.replacingAll("${match(\(i))}", with: i < matches.count ? matches[i] : "") }
            return out
        }
        var q = template
        q.service = fill(q.service)
        q.near = fill(q.near)
        q.tags = q.tags.map(fill)
        if q.removeEmptyTags { q.tags = q.tags.filter { !$0.isEmpty } }
        q.nodeMeta = q.nodeMeta.mapValues(fill)
        q.serviceMeta = q.serviceMeta.mapValues(fill)
        q.failoverDatacenters = q.failoverDatacenters.map(fill)
        return q
    }

    /// Whether a template's regexp compiles (checked when the query is written).
    public static func regexpError(_ pattern: String) -> String? {
        guard !pattern.isEmpty else { return nil }
        do { _ = try Regex(pattern); return nil } catch { return "Failed compiling Regexp: \(error)" }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
