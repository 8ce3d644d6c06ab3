import Testing
@testable import Gossip
import Wire

@Suite struct GossipEncryptionTests {
    static let key128 = (0..<16).map { UInt8($0) }
    static let nonceOne = [UInt8](repeating: 0, count: 11) + [1]
    /// gossip-wire.md §11.1's alive with node n2, port 24851: the plaintext of §11.4.
    static let alive = bytes(hex: "0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e6f6465a26e32a4506f7274cd6113a356736ea6010502020505")
    static let vector = bytes(hex: "01000000000000000000000001be530b22a98db88a314444fd88ec6047bdc5075a833e68b9bf7454af5eb307cdc907f8b85b671ed573c71aaafd289c6b4ab579e9b9fe891e5344e3e6965a21700f6a72a271b3cd4147479dce")

    @Test func sealMatchesTheReferenceVectorByteForByte() {
        // The §11.4 datagram, which real serf accepted, is what we produce for the same key and nonce.
        #expect(Base64.encode(Self.key128) == "AAECAwQFBgcICQoLDA0ODw==")
        #expect(Self.alive.count == 60)
        let sealed = GossipEncryption.sealDatagram(Self.alive, key: Self.key128, nonce: Self.nonceOne)
        #expect(hexString(sealed) == hexString(Self.vector))
        #expect(sealed.count == Self.alive.count + GossipEncryption.datagramOverhead)
    }

    @Test func openRecoversTheReferencePlaintext() throws {
        // Opening the reference datagram gives back the alive message, which then decodes.
        let plain = try GossipEncryption.openDatagram(Self.vector, keys: [Self.key128])
        #expect(plain == Self.alive)
        guard case .alive(let alive) = try MemberlistCodec.decodePacket(plain).first else {
            Issue.record("not an alive"); return
        }
        #expect(alive.node == "n2")
    }

    @Test func legacyVersionZeroIsAcceptedOnInput() throws {
        // vsn 0 (PKCS#7-padded) datagrams from old senders open to the unpadded plaintext, for every pad length.
        for length in [0, 1, 15, 16, 17, 60] {
            let plain = (0..<length).map { UInt8($0 & 0xFF) }
            let sealed = GossipEncryption.sealDatagram(plain, key: Self.key128, nonce: Self.nonceOne, version: 0)
            #expect(sealed.first == 0)
            #expect((sealed.count - GossipEncryption.datagramOverhead) % 16 == 0)
            #expect(try GossipEncryption.openDatagram(sealed, keys: [Self.key128]) == plain)
        }
    }

    @Test func wrongKeyTruncationAndUnknownVersionAreErrors() {
        // A datagram that no installed key opens, a short one, a tampered one and a future version are all refused.
        let other = [UInt8](repeating: 7, count: 32)
        #expect(throws: GossipEncryptionError.noKeyDecrypts) { try GossipEncryption.openDatagram(Self.vector, keys: [other]) }
        #expect(throws: GossipEncryptionError.noKeyDecrypts) { try GossipEncryption.openDatagram(Self.vector, keys: []) }
        #expect(throws: GossipEncryptionError.tooShort(28)) { try GossipEncryption.openDatagram(Array(Self.vector.prefix(28)), keys: [Self.key128]) }
        var tampered = Self.vector
        tampered[20] ^= 1
        #expect(throws: GossipEncryptionError.noKeyDecrypts) { try GossipEncryption.openDatagram(tampered, keys: [Self.key128]) }
        var future = Self.vector
        future[0] = 2
        #expect(throws: GossipEncryptionError.unsupportedVersion(2)) { try GossipEncryption.openDatagram(future, keys: [Self.key128]) }
        // Plaintext gossip starts with a type byte ≥ 2 or is short: never mistaken for a sealed datagram.
        #expect(throws: GossipEncryptionError.self) { try GossipEncryption.openDatagram(Self.alive, keys: [Self.key128]) }
    }

    @Test func openTriesEveryInstalledKey() throws {
        // Sealed with a secondary key (a peer that already switched primary), a keyring with several keys still opens it.
        let k1 = [UInt8](repeating: 1, count: 16), k2 = [UInt8](repeating: 2, count: 24), k3 = [UInt8](repeating: 3, count: 32)
        let keyring = try Keyring(keys: [k1, k2, k3])
        for key in [k1, k2, k3] {
            let sealed = GossipEncryption.sealDatagram([9, 9, 9], key: key, nonce: Self.nonceOne)
            #expect(try GossipEncryption.openDatagram(sealed, keys: keyring.keys) == [9, 9, 9])
        }
    }

    @Test func streamFrameLayoutAndAAD() throws {
        // The TCP frame is [0x0A][L][vsn][nonce][ct][tag], the 5-byte header is authenticated, and partial frames wait.
        let plain = MemberlistCodec.encodeStream(.ping(Ping(seqNo: 5, node: "a", sourceAddr: [127, 0, 0, 1], sourcePort: 1, sourceNode: "b")), compress: false)
        let frame = GossipEncryption.sealStream(plain, key: Self.key128, nonce: Self.nonceOne)
        #expect(frame.count == plain.count + GossipEncryption.streamOverhead)
        #expect(Array(frame.prefix(6)) == [0x0A, 0, 0, 0, UInt8(plain.count + 29), 1])
        for cut in [0, 3, 5, frame.count - 1] {
            #expect(try GossipEncryption.openStream(Array(frame.prefix(cut)), keys: [Self.key128]) == nil)
        }
        let opened = try #require(try GossipEncryption.openStream(frame + [0xEE], keys: [Self.key128]))
        #expect(opened.plain == plain)
        #expect(opened.consumed == frame.count)
        // The same ciphertext under another header (AAD) does not open.
        var relabelled = frame
        relabelled[0] = 0x0A
        relabelled[1] = 0
        let sameBodyOtherAAD = GossipEncryption.seal(plain, key: Self.key128, nonce: Self.nonceOne, version: 1, aad: [])
        #expect(Array(frame.dropFirst(5)) != sameBodyOtherAAD)
        var oversized = frame
        oversized[1] = 0x7F
        #expect(throws: GossipEncryptionError.frameTooLarge(Int(0x7F) << 24 | Int(plain.count + 29))) {
            try GossipEncryption.openStream(oversized, keys: [Self.key128])
        }
    }

    @Test func streamMessageRulesForKeyedAndUnkeyedReceivers() throws {
        // A keyed receiver refuses plaintext unless verify-incoming is off; an unkeyed one refuses frames.
        let keyring = try Keyring(keys: [Self.key128])
        let plain = MemberlistCodec.encodeStream(.err("x"), compress: true)
        let frame = GossipEncryption.sealStream(plain, key: Self.key128, nonce: Self.nonceOne)
        #expect(try GossipEncryption.decodeStreamMessage(frame, keyring: keyring, verifyIncoming: true) == .err("x"))
        #expect(try GossipEncryption.decodeStreamMessage(Array(frame.dropLast()), keyring: keyring, verifyIncoming: true) == nil)
        #expect(throws: GossipEncryptionError.notEncrypted) {
            try GossipEncryption.decodeStreamMessage(plain, keyring: keyring, verifyIncoming: true)
        }
        #expect(try GossipEncryption.decodeStreamMessage(plain, keyring: keyring, verifyIncoming: false) == .err("x"))
        #expect(throws: GossipEncryptionError.unexpectedlyEncrypted) {
            try GossipEncryption.decodeStreamMessage(frame, keyring: nil, verifyIncoming: true)
        }
        #expect(GossipEncryptionError.notEncrypted.description == "Encryption is configured but remote state is not encrypted")
    }
}

@Suite struct KeyringTests {
    let k1 = [UInt8](repeating: 1, count: 32), k2 = [UInt8](repeating: 2, count: 32), k3 = [UInt8](repeating: 3, count: 16)

    @Test func rotationInstallUseRemove() throws {
        // Rotation: install adds without changing the primary, use needs an installed key, remove refuses the primary.
        var ring = try Keyring(keys: [k1])
        try ring.install(k2)
        try ring.install(k2)
        #expect(ring.keys == [k1, k2])
        #expect(ring.primaryKey == k1)
        #expect(throws: KeyringError.notInstalled) { try ring.use(k3) }
        try ring.use(k2)
        #expect(ring.keys == [k2, k1])
        #expect(throws: KeyringError.removingPrimary) { try ring.remove(k2) }
        try ring.remove(k1)
        try ring.remove(k3)
        #expect(ring.keys == [k2])
        #expect(throws: KeyringError.invalidKeySize(5)) { try ring.install([1, 2, 3, 4, 5]) }
        #expect(throws: KeyringError.empty) { try Keyring(keys: []) }
    }

    @Test func keyringFileRoundTrip() throws {
        // The keyring file is a JSON array of base64 keys, primary first, and reads back to the same ring.
        let ring = try Keyring(keys: [k3, k1])
        let text = String(decoding: ring.fileBytes, as: UTF8.self)
        #expect(text == "[\n  \"AwMDAwMDAwMDAwMDAwMDAw==\",\n  \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"\n]")
        #expect(try Keyring.parseFile(ring.fileBytes) == ring)
        #expect(try Keyring.parseFile(Array("[\"AAECAwQFBgcICQoLDA0ODw==\"]".utf8)).primaryKey == (0..<16).map { UInt8($0) })
        #expect(throws: KeyringError.self) { try Keyring.parseFile(Array("{}".utf8)) }
        #expect(throws: KeyringError.self) { try Keyring.parseFile(Array("[\"@@@@\"]".utf8)) }
    }

    @Test func base64MatchesGo() {
        // Go's StdEncoding: padded, canonical; anything else is refused.
        for n in 0..<7 {
            let data = (0..<n).map { UInt8($0 * 37 & 0xFF) }
            #expect(Base64.decode(Base64.encode(data)) == data)
        }
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.decode("abc") == nil)
        #expect(Base64.decode("a=bc") == nil)
    }
}
