/// Lowercase hexadecimal text of bytes (checksums, DNS `.addr.` labels, error messages).
public enum Hex {
    private static let digits: [Character] = Array("0123456789abcdef")

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0x0F)])
        }
        return s
    }
}
