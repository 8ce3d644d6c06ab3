import Wire

/// The gossip encryption keys of one pool (../shared/reference/agent.md §6.7, gossip-wire.md §3.4):
/// every installed key opens messages, the primary (first) key seals them. Rotation is
/// install → use → remove, each step refusing what would leave members unable to talk.
public struct Keyring: Equatable, Sendable {
    /// Primary first, then the others in installation order (memberlist keeps this order).
    public private(set) var keys: [[UInt8]]

    /// `keys[0]` becomes the primary; duplicates are dropped.
    public init(keys: [[UInt8]]) throws(KeyringError) {
        guard !keys.isEmpty else { throw .empty }
        var unique: [[UInt8]] = []
        for key in keys {
            try Keyring.validate(key)
            if !unique.contains(key) { unique.append(key) }
        }
        self.keys = unique
    }

    public var primaryKey: [UInt8] { keys[0] }

    /// AES-128/192/256: memberlist's ValidateKey.
    public static func validate(_ key: [UInt8]) throws(KeyringError) {
        guard key.count == 16 || key.count == 24 || key.count == 32 else { throw .invalidKeySize(key.count) }
    }

    /// Adds a key (no-op when present); the primary does not change.
    public mutating func install(_ key: [UInt8]) throws(KeyringError) {
        try Keyring.validate(key)
        if !keys.contains(key) { keys.append(key) }
    }

    /// Makes an installed key the primary.
    public mutating func use(_ key: [UInt8]) throws(KeyringError) {
        guard let index = keys.firstIndex(of: key) else { throw .notInstalled }
        keys.remove(at: index)
        keys.insert(key, at: 0)
    }

    /// Drops a key; the primary cannot be removed (it is what everyone seals with).
    public mutating func remove(_ key: [UInt8]) throws(KeyringError) {
        if key == primaryKey { throw .removingPrimary }
        keys.removeAll { $0 == key }
    }

    /// The keyring file's contents (`<data-dir>/serf/local.keyring`): a JSON array of base64 keys,
    /// primary first, as Consul and serf write it.
    public var fileBytes: [UInt8] {
        let items = keys.map { "  \"" + Base64.encode($0) + "\"" }
        return Array(("[\n" + items.joined(separator: ",\n") + "\n]").utf8)
    }

    /// Parses a keyring file; the error names what is wrong so the caller can add the path.
    public static func parseFile(_ bytes: [UInt8]) throws(KeyringError) -> Keyring {
        let text = String(decoding: bytes, as: UTF8.self)
        var keys: [[UInt8]] = []
        var rest = Substring(text).drop { $0.isWhitespace }
        guard rest.first == "[" else { throw .malformedFile("expected a JSON array of base64 keys") }
        rest = rest.dropFirst()
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "," }
            if rest.first == "]" { break }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else {
                throw .malformedFile("expected a JSON array of base64 keys")
            }
            let item = String(rest[rest.index(after: rest.startIndex)..<close])
            guard let key = Base64.decode(item) else { throw .malformedFile("key is not valid base64: \(item)") }
            keys.append(key)
            rest = rest[rest.index(after: close)...]
        }
        return try Keyring(keys: keys)
    }
}

public enum KeyringError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidKeySize(Int)
    case notInstalled
    case removingPrimary
    case malformedFile(String)

    /// memberlist's and serf's texts, which Consul shows to operators unchanged.
    public var description: String {
        switch self {
        case .empty: "keyring is empty"
        case .invalidKeySize(let n): "key size must be 16, 24 or 32 bytes (got \(n))"
        case .notInstalled: "Requested key is not in the keyring"
        case .removingPrimary: "Removing the primary key is not allowed"
        case .malformedFile(let why): why
        }
    }
}

