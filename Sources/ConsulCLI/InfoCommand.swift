import ConsulAPI
import ConsulClient

/// `consul info`: the agent's `Stats` from `/v1/agent/self`, each section as `<section>:` then
/// `\t<key> = <value>`, sections and keys sorted (agent.md §2.3).
enum InfoCommand {
    static let help = "Usage: consul info [options]\n\n  Provides debugging information for operators"

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        let me: JSONValue
        do {
            let client = try HTTPFlags.client(flags)
            me = try client.json(try client.sendExpectingOK("GET", "/v1/agent/self", serverFlags: false))
        } catch {
            console.error("Error querying agent: \(error)")
            return 1
        }
        console.raw(format(me["Stats"]))
        return 0
    }

    static func format(_ stats: JSONValue?) -> String {
        var out = ""
        for (section, values) in (stats?.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
            out += section + ":\n"
            for (key, value) in (values.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
                let text: String
                switch value {
                case .string(let s): text = s
                case .number(let n): text = n
                case .bool(let b): text = b ? "true" : "false"
                default: text = ""
                }
                out += "\t\(key) = \(text)\n"
            }
        }
        return out
    }
}
