import Gossip
import HTTPAPI
import Platform
import Wire

/// Gossip encryption keys: the keyring operations behind `/v1/operator/keyring` and
/// `consul keyring`, and the keyring file format for the composition root (which does the I/O).
extension Agent {
    /// Every member of the LAN pool (ourselves included) answers a serf keyring query; the
    /// change applies to our own keyring as the query is handled locally.
    public func keyringOperation(_ kind: KeyringRequestKind, key: String, relayFactor: UInt8, localOnly: Bool,
                                 completion: @escaping (Result<[KeyringPoolResponse], HTTPResponseError>) -> Void) {
        guard let lanPool else { return completion(.failure(HTTPResponseError(500, "gossip is disabled (serf_lan port < 1)"))) }
        var raw: [UInt8] = []
        if kind != .list {
            guard let decoded = Base64.decode(key) else {
                return completion(.failure(HTTPResponseError(500, "illegal base64 data in key")))
            }
            raw = decoded
        }
        let operation: KeyringOperation
        switch kind {
        case .list: operation = .list
        case .install: operation = .install
        case .use: operation = .use
        case .remove: operation = .remove
        }
        let datacenter = config.datacenter
        func response(_ result: KeyringQueryResult, wan: Bool) -> KeyringPoolResponse {
            KeyringPoolResponse(wan: wan, datacenter: datacenter, messages: result.messages, keys: result.keys,
                                primaryKeys: result.primaryKeys, numNodes: result.numNodes, error: result.error ?? "")
        }
        // A server asks its WAN pool first, then the LAN pool, as Consul does (`-local-only`: LAN only).
        lanPool.keyringQuery(operation, key: raw) { [weak self] lan in
            guard let wanPool = self?.wanPool, !localOnly else { return completion(.success([response(lan, wan: false)])) }
            wanPool.keyringQuery(operation, key: raw) { wan in
                completion(.success([response(wan, wan: true), response(lan, wan: false)]))
            }
        }
    }

    /// The keyring a config's `gossipKeys` describes (nil = no encryption); invalid keys were
    /// refused when the config was built.
    static func gossipKeyring(_ config: AgentConfigKeys) -> Keyring? {
        config.isEmpty ? nil : try? Keyring(keys: config)
    }

    /// Called with the new keyring file contents after a keyring query changed our keys; the
    /// composition root writes them off the loop.
    public func persistKeyringChanges(_ write: @escaping ([UInt8]) -> Void) {
        lanPool?.onKeyringChange = { keyring in write(keyring.fileBytes) }
    }

    /// Datagrams dropped because no installed key opened them (tests, diagnostics).
    public var undecryptableGossipPackets: Int { lanPool?.undecryptablePackets ?? 0 }

    /// `<data-dir>/serf/local.keyring` contents → keys, primary first.
    public static func parseKeyringFile(_ bytes: [UInt8]) throws -> [[UInt8]] {
        try Keyring.parseFile(bytes).keys
    }

    /// Keys → the keyring file's bytes (JSON array of base64, primary first).
    public static func keyringFileBytes(_ keys: [[UInt8]]) throws -> [UInt8] {
        try Keyring(keys: keys).fileBytes
    }
}

typealias AgentConfigKeys = [[UInt8]]
