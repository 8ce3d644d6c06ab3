import ConsulClient

/// `consul monitor [-log-level=info] [-log-json]`: streams the agent's log (`/v1/agent/monitor`)
/// until interrupted or until the agent ends the stream.
enum MonitorCommand {
    static let help = """
    Usage: consul monitor [options]

      Shows recent log messages of a Consul agent, and attaches to the agent,
      outputting log messages as they occur in real time. The monitor lets you
      listen for log levels that may be filtered out of the Consul agent. For
      example your agent may only be logging at INFO level, but with the monitor
      you can see the DEBUG level logs.
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        HTTPFlags.add(to: &flags, serverFlags: false)
        flags.value("log-level", "<string>", "Log level of the agent.")
        flags.bool("log-json", "Output logs in JSON format.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        var query: [(String, String?)] = [("loglevel", flags.string("log-level") ?? "INFO")]
        if flags.flag("log-json") { query.append(("logjson", nil)) }
        // Ctrl-C ends the process by the signal's default action: the read below is blocking.
        do {
            let client = try HTTPFlags.client(flags)
            try client.stream("/v1/agent/monitor", query: query) { bytes in
                console.rawBytes(bytes)
                return true
            }
        } catch {
            console.error("Error starting monitor: \(error)")
            return 1
        }
        console.error("Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.")
        return 0
    }
}
