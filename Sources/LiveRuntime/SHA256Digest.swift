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
}
