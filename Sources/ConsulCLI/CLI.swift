/// The `consul` command tree. Exit codes follow Consul (mitchellh/cli): unknown or missing
/// command → help on stderr and 127; `-h` → help and 0; parent-only commands → their help and 1.
public enum CLI {
    struct Entry {
        let synopsis: String
        let run: ([String], Console) -> Int32
    }

    static let commands: [(String, Entry)] = [
        ("agent", Entry(synopsis: "Runs a Consul agent", run: { AgentCommand.run($0, $1) })),
        ("catalog", Entry(synopsis: "Interact with the catalog", run: { CatalogCommand.run($0, $1) })),
        ("debug", Entry(synopsis: "Records a debugging archive for operators", run: { DebugCommand.run($0, $1) })),
        ("event", Entry(synopsis: "Fire a new event", run: { EventCommand.run($0, $1) })),
        ("exec", Entry(synopsis: "Executes a command on Consul nodes", run: { ExecCommand.run($0, $1) })),
        ("force-leave", Entry(synopsis: "Forces a member of the cluster to enter the \"left\" state", run: { ForceLeaveCommand.run($0, $1) })),
        ("info", Entry(synopsis: "Provides debugging information for operators.", run: { InfoCommand.run($0, $1) })),
        ("join", Entry(synopsis: "Tell Consul agent to join cluster", run: { JoinCommand.run($0, $1) })),
        ("keygen", Entry(synopsis: "Generates a new encryption key", run: { KeygenCommand.run($0, $1) })),
        ("keyring", Entry(synopsis: "Manages gossip layer encryption keys", run: { KeyringCommand.run($0, $1) })),
        ("kv", Entry(synopsis: "Interact with the key-value store", run: { KVCommand.run($0, $1) })),
        ("leave", Entry(synopsis: "Gracefully leaves the Consul cluster and shuts down", run: { LeaveCommand.run($0, $1) })),
        ("lock", Entry(synopsis: "Execute a command holding a lock", run: { LockCommand.run($0, $1) })),
        ("maint", Entry(synopsis: "Controls node or service maintenance mode", run: { MaintCommand.run($0, $1) })),
        ("members", Entry(synopsis: "Lists the members of a Consul cluster", run: { MembersCommand.run($0, $1) })),
        ("monitor", Entry(synopsis: "Stream logs from a Consul agent", run: { MonitorCommand.run($0, $1) })),
        ("operator", Entry(synopsis: "Provides cluster-level tools for Consul operators", run: { OperatorCommand.run($0, $1) })),
        ("reload", Entry(synopsis: "Triggers the agent to reload configuration files", run: { ReloadCommand.run($0, $1) })),
        ("rtt", Entry(synopsis: "Estimates network round trip time between nodes", run: { RTTCommand.run($0, $1) })),
        ("services", Entry(synopsis: "Interact with services", run: { ServicesCommand.run($0, $1) })),
        ("snapshot", Entry(synopsis: "Saves, restores and analyzes snapshots of Consul server state", run: { SnapshotCommand.run($0, $1) })),
        ("validate", Entry(synopsis: "Validate config files/directories", run: { ValidateCommand.run($0, $1) })),
        ("version", Entry(synopsis: "Prints the Consul version", run: { VersionCommand.run($0, $1) })),
        ("watch", Entry(synopsis: "Watch for changes in Consul", run: { WatchCommand.run($0, $1) })),
    ]

    public static func main(_ arguments: [String], console: Console = Console()) -> Int32 {
        var args = arguments
        // `consul -v` / `-version` / `--version` mean `consul version` (only before any command).
        if let first = args.first, ["-v", "-version", "--version"].contains(first) { args[0] = "version" }
        // A missing or unknown command: the usage on stderr and 127, as mitchellh/cli (no hint).
        guard let name = args.first else {
            console.error(helpText)
            return 127
        }
        if ["-h", "-help", "--help"].contains(name) {
            console.info(helpText)
            return 0
        }
        guard let entry = commands.first(where: { $0.0 == name })?.1 else {
            console.error(helpText)
            return 127
        }
        return entry.run(Array(args.dropFirst()), console)
    }

    static var helpText: String {
        let width = commands.map(\.0.count).max() ?? 0
        let lines = commands.map { "    " + $0.0 + String(repeating: " ", count: width - $0.0.count + 4) + $0.1.synopsis }
        return "Usage: consul [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n" + lines.joined(separator: "\n") + "\n"
    }

    /// Parses `flags`; on `-h` prints help (exit 0), on a flag error prints it and the usage (exit 1).
    static func parse(_ flags: inout GoFlags, _ args: [String], help: String, _ console: Console) -> Int32? {
        switch flags.parse(args) {
        case .ok: return nil
        case .help:
            console.info(help + "\n\n" + flags.usageText)
            return 0
        case .error(let message):
            console.error(message)
            console.error(help + "\n\n" + flags.usageText)
            return 1
        }
    }
}
