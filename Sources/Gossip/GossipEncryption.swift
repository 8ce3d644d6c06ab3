import Crypto

/// memberlist 0.2.2's AES-GCM layer (../shared/reference/gossip-wire.md §3.4, §3.5): the outermost
/// wrapper of every datagram and every TCP stream message once a keyring is configured. Nonces
/// are arguments (the driver draws them from its RandomSource) so sealing is deterministic.
public enum GossipEncryption {
    public static let nonceBytes = 12
    public static let tagBytes = 16
    /// `[vsn][nonce 12]…[tag 16]`: what sealing adds to a datagram (vsn 1).
    public static let datagramOverhead = 1 + nonceBytes + tagBytes
    /// vsn 0 pads to a multiple of 16 with 1–16 bytes before sealing.
    static let legacyOverheadMax = datagramOverhead + 16
    /// `[0x0A][L u32 BE]` in front of a sealed stream message.
    public static let streamHeaderBytes = 5
    public static let streamOverhead = streamHeaderBytes + datagramOverhead
    /// memberlist's maxPushStateBytes: a longer declared frame is refused before buffering it.
    public static let streamFrameBytesMax = 20 << 20
    static let streamMarker: UInt8 = 10
    static let currentVersion: UInt8 = 1

    // MARK: Datagrams

    /// `[vsn][nonce][ciphertext][tag]`, AAD empty (memberlist 0.2.2 has no labels).
    public static func sealDatagram(_ plain: [UInt8], key: [UInt8], nonce: [UInt8], version: UInt8 = 1) -> [UInt8] {
        seal(plain, key: key, nonce: nonce, version: version, aad: [])
    }

    /// Tries every key in keyring order, as memberlist's decryptPayload does.
    public static func openDatagram(_ bytes: [UInt8], keys: [[UInt8]]) throws(GossipEncryptionError) -> [UInt8] {
        try open(bytes[...], keys: keys, aad: [])
    }

    // MARK: TCP stream frames

    /// `[0x0A][L][vsn][nonce][ciphertext][tag]` with the 5 header bytes as AAD.
    public static func sealStream(_ plain: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let length = UInt32(datagramOverhead + plain.count)
        let header: [UInt8] = [streamMarker, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        return header + seal(plain, key: key, nonce: nonce, version: currentVersion, aad: header)
    }

    /// The plaintext of one frame at the start of `bytes` and how many bytes it took;
    /// nil while the frame is incomplete.
    public static func openStream(_ bytes: [UInt8], keys: [[UInt8]]) throws(GossipEncryptionError) -> (plain: [UInt8], consumed: Int)? {
        guard bytes.count >= streamHeaderBytes else { return nil }
        guard bytes[0] == streamMarker else { throw .notEncrypted }
        let length = Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= streamFrameBytesMax else { throw .frameTooLarge(length) }
        guard bytes.count >= streamHeaderBytes + length else { return nil }
        let plain = try open(bytes[streamHeaderBytes..<(streamHeaderBytes + length)], keys: keys, aad: Array(bytes[0..<streamHeaderBytes]))
        return (plain, streamHeaderBytes + length)
    }

    /// One inbound stream message with the encryption rules of §3.5 applied: with a keyring a
    /// plaintext message is refused (unless `verifyIncoming` is off); without one an encrypted
    /// frame is refused. nil = wait for more bytes.
    public static func decodeStreamMessage(_ bytes: [UInt8], keyring: Keyring?, verifyIncoming: Bool) throws -> MemberlistMessage? {
        guard let first = bytes.first else { return nil }
        if first == streamMarker {
            guard let keyring else { throw GossipEncryptionError.unexpectedlyEncrypted }
            guard let (plain, _) = try openStream(bytes, keys: keyring.keys) else { return nil }
            guard let (message, _) = try MemberlistCodec.decodeStream(plain) else {
                throw GossipCodecError.malformed("encrypted stream message is incomplete")
            }
            return message
        }
        if keyring != nil && verifyIncoming { throw GossipEncryptionError.notEncrypted }
        return try MemberlistCodec.decodeStream(bytes)?.message
    }

    // MARK: AES-GCM

    static func seal(_ plain: [UInt8], key: [UInt8], nonce: [UInt8], version: UInt8, aad: [UInt8]) -> [UInt8] {
        precondition(nonce.count == nonceBytes, "AES-GCM nonce must be 12 bytes")
        precondition(version <= 1, "encryption version \(version) does not exist")
        var body = plain
        if version == 0 {
            let pad = 16 - plain.count % 16
            body += Array(repeating: UInt8(pad), count: pad)
        }
        // The key was validated when it entered the keyring; the nonce size is checked above.
        let box = try! AES.GCM.seal(body, using: SymmetricKey(data: key), nonce: try! AES.GCM.Nonce(data: nonce), authenticating: aad)
        var out: [UInt8] = [version]
        out.reserveCapacity(datagramOverhead + body.count)
        out += nonce
        out += Array(box.ciphertext)
        out += Array(box.tag)
        return out
    }

    static func open(_ bytes: ArraySlice<UInt8>, keys: [[UInt8]], aad: [UInt8]) throws(GossipEncryptionError) -> [UInt8] {
        guard let version = bytes.first else { throw .tooShort(0) }
        guard version <= 1 else { throw .unsupportedVersion(version) }
        let minimum = version == 0 ? legacyOverheadMax : datagramOverhead
        guard bytes.count >= minimum else { throw .tooShort(bytes.count) }
        let start = bytes.startIndex
        let nonceBytes = bytes[(start + 1)..<(start + 1 + nonceBytes)]
        let ciphertext = bytes[(start + 1 + Self.nonceBytes)..<(bytes.endIndex - tagBytes)]
        let tag = bytes[(bytes.endIndex - tagBytes)...]
        guard let nonce = try? AES.GCM.Nonce(data: nonceBytes),
              let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag) else { throw .tooShort(bytes.count) }
        for key in keys {
            guard let opened = try? AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: aad) else { continue }
            var plain = Array(opened)
            if version == 0 {
                guard let pad = plain.last, pad >= 1, pad <= 16, Int(pad) <= plain.count else { throw .badPadding }
                plain.removeLast(Int(pad))
            }
            return plain
        }
        throw .noKeyDecrypts
    }
}

public enum GossipEncryptionError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(Int)
    case unsupportedVersion(UInt8)
    case noKeyDecrypts
    case badPadding
    case frameTooLarge(Int)
    /// A keyed agent got a plaintext stream message.
    case notEncrypted
    /// An agent without a keyring got an encrypted stream frame.
    case unexpectedlyEncrypted

    /// memberlist's texts (they travel back to the peer in `err` replies).
    public var description: String {
        switch self {
        case .tooShort: "Payload is too small to decrypt"
        case .unsupportedVersion(let v): "Unsupported encryption version \(v)"
        case .noKeyDecrypts: "No installed keys could decrypt the message"
        case .badPadding: "Invalid PKCS#7 padding"
        case .frameTooLarge(let n): "Remote node state is larger than limit (\(n))"
        case .notEncrypted: "Encryption is configured but remote state is not encrypted"
        case .unexpectedlyEncrypted: "Remote state is encrypted and encryption is not configured"
        }
    }
}
