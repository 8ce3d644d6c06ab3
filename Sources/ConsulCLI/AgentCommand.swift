import Agent
import Config
import ConsulAPI
import Glibc
import LiveRuntime
import Platform
import Wire

/// `consul agent`: the composition root. It turns flags and config files into an AgentConfig,
/// picks the live implementations (libuv loop, TCP, system randomness), starts the agent and
/// runs the loop until a signal stops it.
enum AgentCommand {
    static let help = "Usage: consul agent [options]\n\n  Starts the Consul agent and runs until an interrupt is received. The\n  agent represents a single node in a cluster."

    static func run(_ args: [String], _ console: Console) -> Int32 {
        var flags = GoFlags()
        defineFlags(&flags)
        if let code = CLI.parse(&flags, args, help: help, console) { return code }
        guard flags.positional.isEmpty else {
            console.error("==> Unexpected extra arguments: \(flags.positional.joined(separator: " "))")
            return 1
        }
        var config: AgentConfig
        do { config = try loadConfig(flags) } catch {
            console.error("==> \(error)")
            return 1
        }
        let nodeID: String
        do { nodeID = try resolveNodeID(config) } catch {
            console.error("==> \(error)")
            return 1
        }
        do { try GossipKeyringFile.load(&config, console: console) } catch {
            console.error("==> \(error)")
            return 1
        }
        signal(SIGPIPE, SIG_IGN)
        // Start from a clean signal mask: a launcher may have blocked signals (SIGCHLD among them,
        // which libuv needs to see child processes exit) and children inherit the mask.
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        return runAgent(config: config, nodeID: nodeID, flags: flags, console: console)
    }

    static func defineFlags(_ f: inout GoFlags) {
        f.bool("dev", "Starts the agent in development mode.")
        f.bool("server", "Switches agent to server mode.")
        f.bool("bootstrap", "Sets server to bootstrap mode.")
        f.value("bootstrap-expect", "<value>", "Sets server to expect bootstrap mode.")
        f.value("node", "<value>", "Name of this node. Must be unique in the cluster.")
        f.value("node-id", "<value>", "A unique ID for this node across space and time. Defaults to a randomly-generated ID that persists in the data-dir.")
        f.value("datacenter", "<value>", "Datacenter of the agent.")
        f.value("data-dir", "<value>", "Path to a data directory to store agent state.")
        f.list("config-file", "<value>", "Path to a file in JSON or HCL format with a matching file extension. Can be specified multiple times.")
        f.list("config-dir", "<value>", "Path to a directory to read configuration files from. This will read every file ending in '.json' or '.hcl' as configuration in this directory in alphabetical order. Can be specified multiple times.")
        f.value("config-format", "<string>", "Config files are in this format irrespective of their extension. Must be 'hcl' or 'json'")
        f.value("log-level", "<value>", "Log level of the agent.")
        f.bool("log-json", "Output logs in JSON format.")
        f.value("log-file", "<value>", "Path to the file the logs get written to")
        f.value("log-rotate-bytes", "<value>", "Maximum number of bytes that should be written to a log file")
        f.value("log-rotate-duration", "<value>", "Time after which log rotation needs to be performed")
        f.value("log-rotate-max-files", "<value>", "Maximum number of log file archives to keep")
        f.bool("syslog", "Enables logging to syslog.")
        f.value("pid-file", "<value>", "Path to file to store agent PID.")
        f.value("http-port", "<value>", "Sets the HTTP API port to listen on.")
        f.value("https-port", "<value>", "Sets the HTTPS API port to listen on.")
        f.value("dns-port", "<value>", "DNS port to use.")
        f.value("grpc-port", "<value>", "Sets the gRPC API port to listen on.")
        f.value("grpc-tls-port", "<value>", "Sets the gRPC-TLS API port to listen on.")
        f.value("serf-lan-port", "<value>", "Sets the Serf LAN port to listen on.")
        f.value("serf-wan-port", "<value>", "Sets the Serf WAN port to listen on.")
        f.value("server-port", "<value>", "Sets the server port to listen on.")
        f.value("client", "<value>", "Sets the address to bind for client access. This includes RPC, DNS, HTTP, HTTPS and gRPC (if configured).")
        f.value("bind", "<value>", "Sets the bind address for cluster communication.")
        f.value("advertise", "<value>", "Sets the advertise address to use.")
        f.bool("ui", "Enables the built-in static web UI server.")
        f.value("ui-content-path", "<value>", "Sets the external UI path to a string. Defaults to: /ui/ ")
        f.value("ui-dir", "<value>", "Path to directory containing the web UI resources.")
        f.bool("enable-script-checks", "Enables health check scripts.")
        f.bool("enable-local-script-checks", "Enables health check scripts from local config file.")
        f.list("hcl", "<value>", "hcl config fragment. Can be specified multiple times.")
        f.list("allow-write-http-from", "<value>", "Only allow write endpoint calls from given network. CIDR format, can be specified multiple times.")
        f.list("node-meta", "<key:value>", "An arbitrary metadata key/value pair for this node, of the format `key:value`. Can be specified multiple times.")
        f.list("retry-join", "<value>", "Address of an agent to join at start time with retries enabled. Can be specified multiple times.")
        f.value("domain", "<value>", "Domain to use for DNS interface.")
        f.value("alt-domain", "<value>", "Alternate domain to use for DNS interface.")
        f.list("recursor", "<value>", "Address of an upstream DNS server. Can be specified multiple times.")
        f.list("join", "<value>", "Address of an agent to join at start time. Can be specified multiple times.")
        f.value("retry-interval", "<value>", "Time to wait between join attempts.")
        f.bool("rejoin", "Ignores a previous leave and attempts to rejoin the cluster.")
        f.list("retry-join-wan", "<value>", "Address of a Consul server to join -wan at start time with retries enabled.")
        f.list("join-wan", "<value>", "Address of a Consul server to join -wan at start time.")
        f.value("retry-max", "<value>", "Maximum number of join attempts. Defaults to 0, which will retry indefinitely.")
        f.value("encrypt", "<value>", "Provides the gossip encryption key.")
    }

    static func loadConfig(_ flags: GoFlags) throws -> AgentConfig {
        var layer = ConfigLayer()
        layer.nodeName = flags.string("node")
        layer.nodeID = flags.string("node-id")
        layer.datacenter = flags.string("datacenter")
        layer.dataDir = flags.string("data-dir")
        if flags.isSet("server") { layer.server = flags.flag("server") }
        if flags.isSet("rejoin") { layer.rejoinAfterLeave = flags.flag("rejoin") }
        if flags.isSet("bootstrap") { layer.bootstrap = flags.flag("bootstrap") }
        if flags.isSet("ui") { layer.uiEnabled = flags.flag("ui") }
        if flags.isSet("ui-content-path") { layer.uiContentPath = flags.string("ui-content-path") }
        if flags.isSet("ui-dir") { layer.uiDir = flags.string("ui-dir") }
        if flags.isSet("enable-script-checks") { layer.enableScriptChecks = flags.flag("enable-script-checks") }
        if flags.isSet("enable-local-script-checks") { layer.enableLocalScriptChecks = flags.flag("enable-local-script-checks") }
        layer.bindAddr = flags.string("bind")
        layer.advertiseAddr = flags.string("advertise")
        layer.clientAddr = flags.string("client")
        layer.logLevel = flags.string("log-level")
        if flags.isSet("log-json") { layer.logJSON = flags.flag("log-json") }
        if flags.isSet("syslog") { layer.enableSyslog = flags.flag("syslog") }
        layer.logFile = flags.string("log-file")
        layer.pidFile = flags.string("pid-file")
        if let text = flags.string("log-rotate-duration") {
            guard let nanos = GoDuration.parse(text), nanos > 0 else { throw ConfigError("invalid duration \"\(text)\" for -log-rotate-duration") }
            layer.logRotateDurationNanoseconds = UInt64(nanos)
        }
        if !flags.strings("allow-write-http-from").isEmpty { layer.allowWriteHTTPFrom = flags.strings("allow-write-http-from") }
        for pair in flags.strings("node-meta") {
            // Consul's parseMetaPair: the first colon splits; no colon means an empty value.
            if let colon = pair.firstIndex(of: ":") {
                layer.nodeMeta[String(pair[..<colon])] = String(pair[pair.index(after: colon)...])
            } else {
                layer.nodeMeta[pair] = ""
            }
        }
        layer.retryJoin = flags.strings("retry-join") + flags.strings("join")
        layer.retryJoinWAN = flags.strings("retry-join-wan") + flags.strings("join-wan")
        layer.domain = flags.string("domain")
        layer.altDomain = flags.string("alt-domain")
        layer.recursors = flags.strings("recursor")
        layer.encryptKey = flags.string("encrypt")
        let intFlags: [(String, WritableKeyPath<ConfigLayer, Int?>)] = [
            ("bootstrap-expect", \.bootstrapExpect), ("http-port", \.httpPort), ("https-port", \.httpsPort),
            ("dns-port", \.dnsPort), ("grpc-port", \.grpcPort), ("grpc-tls-port", \.grpcTLSPort),
            ("serf-lan-port", \.serfLanPort), ("retry-max", \.retryMax), ("serf-wan-port", \.serfWanPort), ("server-port", \.serverPort),
            ("log-rotate-bytes", \.logRotateBytes), ("log-rotate-max-files", \.logRotateMaxFiles),
        ]
        for (name, path) in intFlags {
            switch flags.int(name) {
            case .success(let v): layer[keyPath: path] = v
            case .failure(let e): throw ConfigError(e.message)
            }
        }
        var format: ConfigFormat?
        if let name = flags.string("config-format") {
            guard let f = ConfigFormat(rawValue: name) else { throw ConfigError("Invalid config format: \(name)") }
            format = f
        }
        var files: [ConfigLayer] = []
        for path in flags.strings("config-file") { files.append(try ConfigFiles.file(path, format: format)) }
        for dir in flags.strings("config-dir") { files += try ConfigFiles.directory(dir, format: format) }
        if let text = flags.string("retry-interval") {
            guard let nanos = GoDuration.parse(text), nanos >= 0 else { throw ConfigError("invalid duration \"\(text)\" for -retry-interval") }
            layer.retryIntervalNanoseconds = UInt64(nanos)
        }
        var fragments: [ConfigLayer] = []
        for (i, text) in flags.strings("hcl").enumerated() {
            fragments.append(try ConfigFile.parseHCL(Array(text.utf8), path: "flags-\(i).hcl"))
        }
        return try ConfigBuilder.build(dev: flags.flag("dev"), files: files, flags: layer, fragments: fragments, hostname: hostname(),
                                       network: LiveInterfaceFacts().networkFacts())
    }

    /// `-node-id`, else `<data-dir>/node-id` (created on first start), else random (dev).
    static func resolveNodeID(_ config: AgentConfig) throws -> String {
        if !config.nodeID.isEmpty { return config.nodeID.lowercased() }
        guard !config.devMode, !config.dataDir.isEmpty else { return randomUUID() }
        do { try Files.makeDirectories(config.dataDir) } catch { throw ConfigError("Error creating data dir: \(error)") }
        let path = config.dataDir + "/node-id"
        if Files.exists(path) {
            let text = String(decoding: try Files.read(path), as: UTF8.self).trimmingCharacters(" \n\r\t")
            guard isUUID(text) else { throw ConfigError("Invalid node ID in \(path): \(text)") }
            return text.lowercased()
        }
        let id = randomUUID()
        do { try Files.writeAtomically(path, Array(id.utf8)) } catch { throw ConfigError("Error writing node ID: \(error)") }
        return id
    }

    static func randomUUID() -> String {
        let random = SystemRandom()
        return UUIDText.random(random.nextUInt64)
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        return String(cString: buffer)
    }

    // MARK: Running

    static func runAgent(config: AgentConfig, nodeID: String, flags: GoFlags, console: Console) -> Int32 {
        let loop: EventLoop
        let logWriter: LogWriter
        do {
            loop = try EventLoop()
            logWriter = try LogWriter(config: config.logging)
        } catch {
            console.error("==> Error starting agent: \(error)")
            return 1
        }
        // Every line queued is written before we return, whatever the path out.
        defer { logWriter.close() }
        let manager = ServiceManagerLink(pidFile: config.pidFile)
        do { try manager.writePIDFile() } catch {
            console.error("==> Error starting agent: writing pid_file: \(error)")
            return 1
        }
        defer { manager.removePIDFile() }
        var environment = AgentEnvironment(clock: loop, network: LiveStreamNetwork(loop: loop), random: SystemRandom(),
                                           logSink: logWriter, datagrams: LiveDatagramNetwork(loop: loop),
                                           resolver: LiveResolver(loop: loop), processes: LiveProcessRunner(loop: loop),
                                           hostFacts: LiveHostFacts())
        environment.tls = OpenSSLClient()
        environment.processFacts = { ProcessFactsReader.read() }
        if !config.uiDir.isEmpty {
            // Read once, before the loop runs: serving never touches the disk.
            do { environment.uiFiles = try UIDirectory.read(config.uiDir) } catch {
                console.error("==> Error starting agent: ui_config.dir: \(error)")
                return 1
            }
        }
        let agent: Agent
        do {
            if !config.devMode {
                // API registrations survive restarts (Consul's data-dir services/ and checks/).
                environment.serviceRecords = try DirectoryRecordStore(directory: config.dataDir + "/services", loop: loop)
                environment.checkRecords = try DirectoryRecordStore(directory: config.dataDir + "/checks", loop: loop)
                environment.checkStateRecords = try DirectoryRecordStore(directory: config.dataDir + "/checks/state", loop: loop)
                environment.serfRecords = try DirectoryRecordStore(directory: config.dataDir + "/serf", loop: loop, rawNames: true)
            }
            if config.server { environment.snapshotArchiver = LiveSnapshotArchiver(loop: loop) }
            if config.server && !config.devMode {
                // A real server keeps its Raft log and snapshots under the data directory.
                environment.raftStorage = try SQLiteRaftStorage(directory: config.dataDir + "/raft", loop: loop)
                environment.snapshotStore = try LZ4SnapshotStore(directory: config.dataDir + "/raft/snapshots", loop: loop)
                let peersPath = config.dataDir + "/raft/peers.json"
                if Files.exists(peersPath) {
                    environment.peersJSON = try Files.read(peersPath)
                    environment.removePeersJSON = { unlink(peersPath) }
                }
            }
            agent = try Agent(config: config, nodeID: nodeID, environment: environment)
        } catch {
            console.error("==> Error starting agent: refusing to start with unreadable Raft state: \(error)")
            return 1
        }
        let reloadWakeup = LoopWakeup(loop: loop)
        agent.reloadConfig = { done in
            // Config files are read on a thread of their own; the result comes back to the loop.
            DetachedThread.start {
                let result = Result { try loadConfig(flags) }
                reloadWakeup.post { done(result) }
            }
        }
        GossipKeyringFile.persistChanges(of: agent, config: config, loop: loop)
        console.info("==> Starting Consul agent...")
        console.info(banner(config: config, nodeID: nodeID, gossipEncrypted: agent.gossipEncrypted))
        console.info("")
        console.info("==> Log data will now stream in as it occurs:")
        console.info("")
        do { try agent.start() } catch {
            agent.logger.error("Error starting agent", [("error", "\(error)")])
            console.error("==> Error starting agent: \(error)")
            return 1
        }
        AgentWatches.start(config.watches, agent: agent, loop: loop)
        manager.ready(agent, loop: loop)

        var exitCode: Int32 = 0
        var signals: [SignalWatcher] = []
        var stopping = false
        /// `exitCode`: a stop asked for by SIGTERM is a normal stop (0) whether or not it leaves,
        /// so `Restart=on-failure` and monitoring see the truth (Consul exits 1 without a leave);
        /// SIGINT keeps Consul's codes.
        func stop(_ name: String, graceful: Bool, exitCode code: Int32) {
            agent.logger.info("Caught", [("signal", name)])
            if stopping {
                // A second signal while stopping aborts at once, as Consul does.
                exit(1)
            }
            stopping = true
            manager.stopping()
            if !graceful { agent.logger.info("Graceful shutdown disabled. Exiting") }
            else { agent.logger.info("Gracefully shutting down agent...") }
            exitCode = code
            let finish = {
                agent.shutdown()
                for s in signals { s.close() }
                loop.stop()
            }
            if graceful { agent.leaveGossip(completion: finish) } else { finish() }
        }
        agent.onLeave = { stop("leave", graceful: true, exitCode: 0) }
        agent.onFatal = { message in
            console.error("==> \(message)")
            manager.stopping()
            exitCode = 1
            agent.shutdown()
            for s in signals { s.close() }
            loop.stop()
        }
        do {
            signals.append(try SignalWatcher(loop: loop, signal: SIGINT) {
                let graceful = !config.effectiveSkipLeaveOnInterrupt
                stop("interrupt", graceful: graceful, exitCode: graceful ? 0 : 1)
            })
            signals.append(try SignalWatcher(loop: loop, signal: SIGTERM) {
                stop("terminated", graceful: config.effectiveLeaveOnTerminate, exitCode: 0)
            })
            signals.append(try SignalWatcher(loop: loop, signal: SIGHUP) {
                agent.logger.info("Caught", [("signal", "hangup")])
                manager.reloading()
                agent.reloadConfiguration { error in manager.reloaded(agent, error: error) }
            })
        } catch {
            console.error("==> Error starting agent: \(error)")
            return 1
        }
        loop.run()
        agent.logger.info("Exit code", [("code", String(exitCode))])
        return exitCode
    }

    static func banner(config: AgentConfig, nodeID: String, gossipEncrypted: Bool) -> String {
        let p = config.ports
        let rows: [(String, String)] = [
            ("Version", "'\(ConsulVersion.version)'"),
            ("Build Date", "'\(ConsulVersion.buildDate)'"),
            ("Node ID", "'\(nodeID)'"),
            ("Node name", "'\(config.nodeName)'"),
            ("Datacenter", "'\(config.datacenter)' (Segment: '\(config.server ? "<all>" : "")')"),
            ("Server", "\(config.server) (Bootstrap: \(config.bootstrap))"),
            ("Client Addr", "[\(config.clientAddrs.joined(separator: " "))] (HTTP: \(p.http), HTTPS: \(p.https), gRPC: \(p.grpc), gRPC-TLS: \(p.grpcTLS), DNS: \(p.dns))"),
            ("Cluster Addr", "\(config.effectiveAdvertiseAddr) (LAN: \(p.serfLan), WAN: \(p.serfWan))"),
            ("Gossip Encryption", String(gossipEncrypted)),
            ("Auto-Encrypt-TLS", "false"),
            ("ACL Enabled", "false"),
            ("ACL Default Policy", "allow"),
            ("HTTPS TLS", "Verify Incoming: false, Verify Outgoing: false, Min Version: TLSv1_2"),
            ("gRPC TLS", "Verify Incoming: false, Min Version: TLSv1_2"),
            ("Internal RPC TLS", "Verify Incoming: false, Verify Outgoing: false (Verify Hostname: false), Min Version: TLSv1_2"),
        ]
        let width = rows.map(\.0.count).max()! + 4
        return rows.map { String(repeating: " ", count: width - $0.0.count) + $0.0 + ": " + $0.1 }.joined(separator: "\n")
    }
}

extension String {
    func trimmingCharacters(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
