import Config
import LiveRuntime

/// `consul validate [-config-format hcl|json] [-quiet] FILE_OR_DIR...` (agent.md §2.3): loads the
/// files as `consul agent` would and runs the full build and validation, so a fragment missing
/// e.g. `data_dir` fails. Success prints warnings and `Configuration is valid!` unless -quiet
/// (Consul: "a successful run will produce no output").
enum ValidateCommand {
    static let help = """
    Usage: consul validate [options] FILE_OR_DIRECTORY...

      Performs a thorough sanity test on Consul configuration files. For each file
      or directory given, the validate command will attempt to parse the contents
      just as the "consul agent" command would, and catch any errors.

      This is useful to do a test of the configuration only, without actually
      starting the agent. This performs all of the validation the agent would, so
      this should be given the complete set of configuration files that are going
      to be loaded by the agent. This command cannot operate on partial
      configuration fragments since those won't pass the full agent validation.

      Returns 0 if the configuration is valid, or 1 if there are problems.
    """

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        flags.value("config-format", "<string>", "Config files are in this format irrespective of their extension. Must be 'hcl' or 'json'")
        flags.bool("quiet", "When given, a successful run will produce no output.")
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard !flags.positional.isEmpty else {
            console.error("Must specify at least one config file or directory")
            return 1
        }
        var format: ConfigFormat?
        if let name = flags.string("config-format"), !name.isEmpty {
            guard let f = ConfigFormat(rawValue: name) else {
                console.error("-config-format must be either 'hcl' or 'json")  // sic, Consul's text
                return 1
            }
            format = f
        }
        let config: AgentConfig
        do {
            let files = try ConfigFiles.paths(flags.positional, format: format)
            config = try ConfigBuilder.build(dev: false, files: files, flags: ConfigLayer(), hostname: AgentCommand.hostname(),
                                             network: LiveInterfaceFacts().networkFacts())
        } catch {
            console.error("Config validation failed: \(error)")
            return 1
        }
        if !flags.flag("quiet") {
            for warning in config.warnings { console.error(warning) }
            for key in config.ignoredKeys {
                console.error("config key \(key) is accepted but not implemented by this build yet; ignored")
            }
            console.info("Configuration is valid!")
        }
        return 0
    }
}
