import Config
import ConsulAPI
import ConsulState
import HTTP1
import HTTPAPI
import Platform

/// What the agent needs from the outside world; the composition root supplies live
/// implementations (libuv), tests may supply others.
public struct AgentEnvironment {
    public var clock: EventLoopClock
    public var network: StreamNetwork
    public var random: RandomSource
    public var logSink: LogSink

    public init(clock: EventLoopClock, network: StreamNetwork, random: RandomSource, logSink: LogSink) {
        self.clock = clock
        self.network = network
        self.random = random
        self.logSink = logSink
    }
}

/// A running Consul agent: configuration, state backend, and the HTTP API listeners.
/// Loop-confined. Later issues add gossip, Raft, DNS and checks behind the same shape.
public final class Agent: AgentView {
    public let config: AgentConfig
    public let logger: Logger
    public let nodeID: String
    private let environment: AgentEnvironment
    private let backend: ConsulBackend
    private var api: ConsulHTTPAPI!
    private var httpServer: HTTPServer!

    public init(config: AgentConfig, nodeID: String, environment: AgentEnvironment) {
        self.config = config
        self.nodeID = nodeID
        self.environment = environment
        logger = Logger(name: "agent", level: LogLevel(name: config.logLevel) ?? .info,
                        sink: environment.logSink, clock: environment.clock)
        // A server is the single in-memory dev server until Raft lands; the composition root
        // refuses server mode outside -dev rather than serve a store that a restart would lose.
        backend = config.server ? DevBackend() : NoServersBackend()
        var apiConfig = APIConfig()
        apiConfig.kvMaxValueSize = config.kvMaxValueSize
        apiConfig.defaultQueryTimeNanoseconds = config.defaultQueryTimeNanoseconds
        apiConfig.maxQueryTimeNanoseconds = config.maxQueryTimeNanoseconds
        apiConfig.prettyByDefault = config.devMode
        apiConfig.uiEnabled = false // the web UI arrives with its own issue; `/` says so meanwhile
        api = ConsulHTTPAPI(backend: backend, agent: self, clock: environment.clock, random: environment.random,
                            config: apiConfig)
        httpServer = HTTPServer(network: environment.network, clock: environment.clock) { [api] request, responder in
            api!.handle(request, responder)
        }
    }

    /// Binds every listener; throws with the address that failed.
    public func start() throws {
        for key in config.ignoredKeys {
            logger.warn("config key is accepted but not implemented yet; ignored", [("key", key)])
        }
        if config.server {
            // Until Raft lands a server runs alone, in memory, and leads by construction.
            logger.named("server").info("single in-memory server: this node is the leader",
                                        [("address", serverAddress), ("node", config.nodeName)])
        }
        if config.ports.http > 0 {
            for host in config.clientAddrs {
                try httpServer.listen(on: SocketAddress(host: host, port: config.ports.http))
                // Port 0 asks the kernel for a free port; the log names the one actually bound.
                let bound = httpServer.listenAddresses.last!
                logger.info("Started HTTP server", [("address", bound.description), ("network", "tcp")])
            }
        }
        logger.info("Consul agent running!")
    }

    /// Addresses the HTTP API actually listens on (port 0 resolves to the kernel's choice).
    public var httpAddresses: [SocketAddress] { httpServer.listenAddresses }

    public func shutdown() {
        logger.info("Requesting shutdown")
        httpServer.shutdown()
        logger.info("shutdown complete")
    }

    /// SIGHUP: configuration reload arrives with services and checks; nothing reloadable yet.
    public func reload() {
        logger.info("Reloading configuration...")
    }

    // MARK: AgentView

    public var nodeName: String { config.nodeName }
    public var datacenter: String { config.datacenter }
    public var isServer: Bool { config.server }
    private var serverAddress: String { "\(config.effectiveAdvertiseAddr):\(config.ports.server)" }
    public var leaderAddress: String { config.server ? serverAddress : "" }
    /// Whether this build can run the configuration (server mode needs Raft outside -dev).
    public static func unsupportedModeReason(_ config: AgentConfig) -> String? {
        guard config.server && !config.devMode else { return nil }
        return "Server mode outside -dev needs durable Raft storage, which this build does not have yet; use -dev, or run as a client"
    }
    public var raftPeers: [String] { config.server ? [serverAddress] : [] }

    public var localMember: MemberInfo {
        var tags: [(String, String)] = [
            ("build", "\(ConsulVersion.version):\(ConsulVersion.revision)"),
            ("dc", config.datacenter),
            ("ft_fs", "1"),
            ("ft_si", "1"),
            ("id", nodeID),
            ("role", config.server ? "consul" : "node"),
            ("segment", ""),
            ("vsn", "2"),
            ("vsn_max", "3"),
            ("vsn_min", "2"),
        ]
        if config.server {
            tags += [("port", String(config.ports.server)), ("raft_vsn", "3"), ("wan_join_port", String(config.ports.serfWan))]
            if config.bootstrap { tags.append(("bootstrap", "1")) }
            if config.bootstrapExpect > 0 { tags.append(("expect", String(config.bootstrapExpect))) }
        }
        tags.sort { $0.0 < $1.0 }
        return MemberInfo(name: config.nodeName, address: config.effectiveAdvertiseAddr, port: config.ports.serfLan,
                          tags: tags, status: 1)
    }

    public var lanMembers: [MemberInfo] { [localMember] }

    public var debugConfig: [(String, String)] {
        [("Datacenter", config.datacenter), ("NodeName", config.nodeName), ("NodeID", nodeID),
         ("DataDir", config.dataDir), ("DevMode", String(config.devMode)), ("ServerMode", String(config.server)),
         ("BindAddr", config.bindAddr), ("ClientAddrs", config.clientAddrs.joined(separator: " ")),
         ("LogLevel", config.logLevel)]
    }
}
