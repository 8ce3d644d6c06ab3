import Gossip
import HTTPAPI
import Platform
import Server

/// The agent's side of the server cluster: which requests a client agent forwards, and the
/// servers a client learns from gossip.
extension Agent {
    /// Client agents forward everything but their own agent endpoints (and the UI).
    static func forwardsToServer(_ path: String) -> Bool {
        // User events are agent-local too: fired into our own gossip pool, listed from our own log.
        path.hasPrefix("/v1/") && !path.hasPrefix("/v1/agent/") && !path.hasPrefix("/v1/event/")
    }

    /// A client's view of usable servers changed.
    func clientServersChanged() {
        guard let client = backend as? ClientBackend else { return }
        client.updateServers(knownServers().filter { $0.status == .alive }.map(\.address))
    }

    /// The servers of our datacenter in the LAN pool.
    func knownServers() -> [GossipServer] {
        GossipServer.servers(in: lanPool?.serf.members ?? [], datacenter: config.datacenter)
    }
}
