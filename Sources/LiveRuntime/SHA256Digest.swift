import COpenSSL
import Wire

/// SHA-256 through OpenSSL's libcrypto (snapshot archives' SHA256SUMS).
public enum SHA256Digest {
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { digest in
                EVP_Digest(source.baseAddress, source.count, digest.baseAddress!.assumingMemoryBound(to: UInt8.self),
                           &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(hash(bytes)) }

    /// The digest of the parts one after another, as if concatenated (no copy made).
    public static func hex(parts: [[UInt8]]) -> String {
        let stream = SHA256Stream()
        for part in parts { stream.update(part) }
        return stream.finalHex()
    }
}

/// SHA-256 fed piece by piece (one thread at a time).
public final class SHA256Stream {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ part: [UInt8]) {
        part.withUnsafeBytes { p in precondition(EVP_DigestUpdate(context, p.baseAddress, p.count) == 1, "EVP_DigestUpdate failed") }
    }

    /// The digest of everything fed, in lowercase hex (once).
    public func finalHex() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { d in precondition(EVP_DigestFinal_ex(context, d.baseAddress, &length) == 1 && length == 32) }
        return Hex.encode(out)
    }
}
