// swift-tools-version:6.0
// Every module edge is declared here; `make build` passes
// --explicit-target-dependency-import-check error so an undeclared import fails the build.
// Tiers (docs/architecture.md): 0 leaves (Platform, HTTP1, ConsulAPI) → 1 pure cores
// (ConsulState, Config) → 2 logic over Platform protocols (HTTPAPI, Agent, ConsulClient) →
// 3 edges (LiveRuntime, ConsulCLI, consul). `make lint-imports` enforces the direction.
import PackageDescription

let package = Package(
    name: "consul",
    products: [
        .executable(name: "consul", targets: ["consul"]),
    ],
    dependencies: [
        // AES-GCM for gossip encryption (memberlist's security.go); used only by Gossip.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // CSystem: the three C libraries, reached only from LiveRuntime.
        .systemLibrary(name: "CLibUV", path: "CSystem/CLibUV", pkgConfig: "libuv",
                       providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CSQLite", path: "CSystem/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLZ4", path: "CSystem/CLZ4", pkgConfig: "liblz4",
                       providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "CSystem/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),

        // Tier 0: leaves, pure, no I/O.
        .target(name: "Platform"),
        // The metrics registry (Consul's names, go-metrics' aggregation): pure, loop-confined.
        .target(name: "Metrics"),
        .target(name: "HTTP1"),
        .target(name: "Wire"),
        .target(name: "ConsulAPI", dependencies: ["Wire"]),
        // The web UI's files, embedded (scripts/gen-ui-assets.py writes UIAssets.generated.swift
        // from assets/, which is kept out of the build itself).
        .target(name: "WebUI", dependencies: ["Wire"], exclude: ["assets"]),

        // Tier 1: pure cores.
        .target(name: "ConsulState", dependencies: ["Wire", "ConsulAPI"]),
        .target(name: "Config", dependencies: ["Wire", "ConsulAPI", "Platform"]),
        .target(name: "Raft"),
        .target(name: "DNS", dependencies: ["Wire", "ConsulAPI"]),
        // SWIM + Lifeguard + serf semantics and the memberlist/serf wire codec; no I/O.
        .target(name: "Gossip", dependencies: ["Wire", "Platform", "Metrics", .product(name: "Crypto", package: "swift-crypto")]),

        // Tier 2: logic over Platform protocols.
        .target(name: "HTTPAPI", dependencies: ["Wire", "Platform", "HTTP1", "ConsulAPI", "ConsulState", "Metrics", "WebUI"]),
        .target(name: "Agent", dependencies: ["Wire", "Platform", "HTTP1", "ConsulAPI", "ConsulState", "Config", "HTTPAPI", "Raft", "Server", "DNS", "Gossip", "Metrics"]),
        .target(name: "ConsulClient", dependencies: ["Platform", "HTTP1", "ConsulAPI"]),
        .target(name: "Server", dependencies: ["Wire", "Platform", "HTTP1", "ConsulAPI", "Raft", "ConsulState", "Config", "Gossip", "HTTPAPI", "Metrics"]),

        // Tier 3: edges.
        .target(name: "LiveRuntime", dependencies: ["Wire", "ConsulAPI", "Config", "Metrics", "Platform", "CLibUV", "CSQLite", "CLZ4", "COpenSSL"]),
        .target(name: "ConsulCLI", dependencies: ["Wire", "Platform", "HTTP1", "ConsulAPI", "ConsulState", "Config", "Agent", "ConsulClient", "LiveRuntime"]),
        .executableTarget(name: "consul", dependencies: ["ConsulCLI"]),
        .target(name: "Simulation", dependencies: ["Platform", "Raft", "ConsulAPI", "ConsulState", "Server", "Gossip", "Config", "HTTP1", "HTTPAPI", "Wire", "Agent"]),
        .executableTarget(name: "consul-sim", dependencies: ["Simulation"]),
        // The shared libFuzzer driver / replay main of the harnesses below.
        .target(name: "FuzzDriver"),
        // libFuzzer entry point for the HTTP/1.1 request parser (`make fuzz`).
        .executableTarget(name: "HTTP1Fuzz", dependencies: ["FuzzDriver", "HTTP1"]),
        // libFuzzer entry point for the gossip packet and stream decoders (`make fuzz`).
        .executableTarget(name: "GossipFuzz", dependencies: ["FuzzDriver", "Gossip"]),
        .executableTarget(name: "DNSFuzz", dependencies: ["FuzzDriver", "DNS", "ConsulAPI"]),
        // Raft storage helpers: a writer the crash-durability test SIGKILLs, and a micro-benchmark
        // (`swift run -c release raft-storage-bench`).
        .executableTarget(name: "raft-storage-crasher", dependencies: ["LiveRuntime", "Platform"]),
        .executableTarget(name: "raft-storage-bench", dependencies: ["LiveRuntime", "Platform"]),

        .target(name: "TestSupport", dependencies: ["Wire"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "ConsulAPITests", dependencies: ["Wire", "ConsulAPI"]),
        .testTarget(name: "FilterTests", dependencies: ["ConsulAPI"]),
        .testTarget(name: "ConsulStateTests", dependencies: ["ConsulState", "ConsulAPI"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "ConsulAPI"]),
        .testTarget(name: "DNSTests", dependencies: ["Wire", "TestSupport", "DNS", "ConsulAPI"]),
        .testTarget(name: "GossipTests", dependencies: ["TestSupport", "Wire", "Gossip", "Platform"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Raft", "Server", "Gossip", "Platform", "ConsulState"]),
        .testTarget(name: "HTTPAPITests", dependencies: ["Wire", "HTTPAPI", "HTTP1", "ConsulAPI", "ConsulState", "Platform", "Metrics"]),
        .testTarget(name: "ConsulCLITests", dependencies: ["ConsulCLI", "ConsulAPI"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "LiveRuntimeTests", dependencies: ["LiveRuntime", "Config", "Platform", "Wire"]),
        // Check runners: unit tests on a fake clock/network, and live ones on a real libuv loop.
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Platform", "ConsulAPI"]),
        .testTarget(name: "CheckRunnerLiveTests", dependencies: ["Agent", "LiveRuntime", "Platform", "ConsulAPI"]),
        .testTarget(name: "RaftStorageTests", dependencies: ["LiveRuntime", "Platform"]),
        .testTarget(name: "ServerTests", dependencies: ["Wire", "TestSupport", "Server", "Raft", "ConsulState", "HTTP1"]),
        // Raft interaction scripts: Tests/RaftTests/testdata/*.txt, found via #filePath so that
        // REWRITE=1 can write the regenerated transcripts back.
        .testTarget(name: "RaftTests", dependencies: ["Raft"], exclude: ["testdata"]),
        .testTarget(name: "IntegrationTests", dependencies: ["ConsulClient", "ConsulAPI", "HTTP1", "LiveRuntime", "Platform", "Simulation"]),
    ],
    swiftLanguageModes: [.v5]
)
