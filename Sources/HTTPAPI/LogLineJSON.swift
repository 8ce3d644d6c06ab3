import ConsulAPI

/// `consul monitor -log-json`: our text log lines in hclog's JSON shape.
public enum LogLineJSON {
    /// A text log line (`<time> [LEVEL] <name>: <message>: k=v …`) as hclog's JSON form.
    public static func convert(_ line: String) -> String {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        var json = JSONWriter()
        json.beginObject()
        json.field("@timestamp", parts.first ?? "")
        var rest = parts.count > 1 ? parts[1] : ""
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            json.field("@level", rest[rest.index(after: rest.startIndex)..<close].lowercased())
            rest = String(rest[rest.index(after: close)...].drop { $0 == " " })
        }
        let chars = Array(rest)
        if let colon = chars.indices.first(where: { $0 + 1 < chars.count && chars[$0] == ":" && chars[$0 + 1] == " " }) {
            json.field("@module", String(chars[..<colon]))
            rest = String(chars[(colon + 2)...])
        }
        json.field("@message", rest)
        json.endObject()
        return String(decoding: json.finish(), as: UTF8.self)
    }
}
