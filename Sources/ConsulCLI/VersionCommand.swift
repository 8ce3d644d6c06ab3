import ConsulAPI

/// `consul version [-format pretty|json]`.
enum VersionCommand {
    static let help = "Usage: consul version [options]\n\n  Shows the Consul version."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        flags.value("format", "<string>", "Output format {pretty|json}. Defaults to pretty.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        switch flags.string("format") ?? "pretty" {
        case "pretty":
            var version = "Consul v\(ConsulVersion.version)"
            if !ConsulVersion.prerelease.isEmpty { version += "-\(ConsulVersion.prerelease)" }
            console.info(version)
            console.info("Revision \(ConsulVersion.revision)")
            console.info("Build Date \(ConsulVersion.buildDate)")
            console.info("Protocol \(ConsulVersion.protocolDefault) spoken by default, understands \(ConsulVersion.protocolMin) to \(ConsulVersion.protocolMax) (agent will automatically use protocol >2 when speaking to compatible agents)")
        case "json":
            var json = JSONWriter(indent: "   ")
            json.beginObject()
            json.field("Version", ConsulVersion.version)
            json.field("Revision", ConsulVersion.revision)
            json.field("Prerelease", ConsulVersion.prerelease)
            json.field("BuildDate", ConsulVersion.buildDate)
            json.key("RPC")
            json.beginObject()
            json.field("Default", ConsulVersion.protocolDefault)
            json.field("Min", ConsulVersion.protocolMin)
            json.field("Max", ConsulVersion.protocolMax)
            json.endObject()
            json.endObject()
            console.info(String(decoding: json.bytes, as: UTF8.self))
        case let other:
            console.error("Invalid format: \(other)")
            return 1
        }
        return 0
    }
}
