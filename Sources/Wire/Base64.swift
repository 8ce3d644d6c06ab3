/// Standard base64 (RFC 4648 §4) with padding — how Go's encoding/json writes `[]byte`.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ data: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (data.count + 2) / 3 * 4)
        var i = 0
        let n = data.count
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(data[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(61); out.append(61)
        } else if n - i == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(61)
        }
    }

    public static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(data, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64; nil on any invalid character or length.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            let isLast = i + 4 == chars.count
            var values: [UInt32] = [0, 0, 0, 0]
            var padding = 0
            for j in 0..<4 {
                let c = chars[i + j]
                if c == 61, isLast, j >= 2 {
                    padding += 1
                    continue
                }
                guard padding == 0 else { return nil }
                let v = reverse[Int(c)]
                guard v != 255 else { return nil }
                values[j] = UInt32(v)
            }
            let v = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
            out.append(UInt8(v >> 16 & 255))
            if padding < 2 { out.append(UInt8(v >> 8 & 255)) }
            if padding < 1 { out.append(UInt8(v & 255)) }
            i += 4
        }
        return out
    }
}
