import ConsulAPI
import Platform
import Raft

/// `<data-dir>/raft/peers.json`, the operator's manual recovery of the server set (Raft
/// protocol 3 form): `[{"id": "<node-id>", "address": "<ip>:<server-port>", "non_voter": false}]`.
/// Read at start-up, applied as the Raft configuration, then deleted.
struct PeersFile {
    var configuration: Configuration
    var addresses: [(id: String, address: SocketAddress)]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ bytes: [UInt8]) throws(Invalid) -> PeersFile {
        let prefix = "raft/peers.json: "
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw Invalid(description: prefix + "\(error)") }
        guard let items = value.arrayValue, !items.isEmpty else { throw Invalid(description: prefix + "expected a non-empty list of servers") }
        var configuration = Configuration()
        var addresses: [(String, SocketAddress)] = []
        for item in items {
            guard item.objectValue != nil else {
                throw Invalid(description: prefix + "entries must be objects with \"id\" and \"address\" (the Raft protocol 3 form); plain addresses are not supported")
            }
            guard let id = item.member("id")?.stringValue, !id.isEmpty else { throw Invalid(description: prefix + "an entry has no \"id\"") }
            guard let text = item.member("address")?.stringValue, let colon = text.lastIndex(of: ":"),
                  let port = Int(text[text.index(after: colon)...]), port > 0, port < 65536 else {
                throw Invalid(description: prefix + "server \(id) has no valid \"address\" (ip:port)")
            }
            if item.member("non_voter")?.boolValue == true { configuration.nonVoters.insert(id) } else { configuration.voters.insert(id) }
            addresses.append((id, SocketAddress(host: String(text[..<colon]), port: port)))
        }
        guard !configuration.voters.isEmpty else { throw Invalid(description: prefix + "no voters") }
        return PeersFile(configuration: configuration, addresses: addresses)
    }
}
