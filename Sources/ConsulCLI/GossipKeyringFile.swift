import Agent
import Config
import ConsulAPI
import LiveRuntime
import Wire

/// `<data-dir>/serf/local.keyring` (agent.md §4, §6.7): read or created at start-up, before the
/// loop runs; rewritten off the loop after keyring queries change our keys. In -dev nothing
/// touches the disk and `encrypt` alone is the keyring.
enum GossipKeyringFile {
    static func path(_ config: AgentConfig) -> String { config.dataDir + "/serf/local.keyring" }

    /// Fills `config.gossipKeys`. `encrypt` seeds the file only on first start; later the file
    /// wins and a differing `encrypt` is ignored with a warning.
    static func load(_ config: inout AgentConfig, console: Console) throws {
        let encrypt = config.encryptKey.isEmpty ? nil : Base64.decode(config.encryptKey)
        // `disable_keyring_file`: `encrypt` alone, and nothing written (as Consul).
        if config.devMode || config.dataDir.isEmpty || config.disableKeyringFile {
            config.gossipKeys = encrypt.map { [$0] } ?? []
            return
        }
        let file = path(config)
        if Files.exists(file) {
            let keys: [[UInt8]]
            do { keys = try Agent.parseKeyringFile(try Files.read(file)) } catch {
                throw ConfigError("Error loading keyring file \(file): \(error)")
            }
            if let encrypt, !keys.contains(encrypt) {
                console.error("==> WARNING: LAN keyring exists but -encrypt given, using keyring")
            }
            config.gossipKeys = keys
            return
        }
        guard let encrypt else { return }
        do {
            try Files.makeDirectories(config.dataDir + "/serf")
            try Files.writeAtomically(file, try Agent.keyringFileBytes([encrypt]))
        } catch {
            throw ConfigError("Error writing keyring file \(file): \(error)")
        }
        config.gossipKeys = [encrypt]
    }

    /// After start: keyring changes made by `consul keyring` reach the file, written off the loop.
    static func persistChanges(of agent: Agent, config: AgentConfig, loop: EventLoop) {
        guard !config.devMode, !config.dataDir.isEmpty, !config.disableKeyringFile, !config.gossipKeys.isEmpty else { return }
        let writer = FileReplacer(path: path(config), loop: loop)
        writer.onWritten = { ok in
            if !ok { agent.logger.error("agent: Failed to write keyring file", [("path", path(config))]) }
        }
        agent.persistKeyringChanges { bytes in writer.write(bytes) }
    }
}
