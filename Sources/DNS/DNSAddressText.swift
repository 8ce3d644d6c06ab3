import Wire
// IP literal parsing and formatting for the DNS responder, without Foundation.

/// IP address helpers (no Foundation).
enum IP {
    /// Dotted quad (1-3 decimal digits per part, each ≤ 255) → 4 bytes; the result is the only
    /// allocation.
    static func parseV4<S: StringProtocol>(_ s: S) -> [UInt8]? {
        var a: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var part = 0, value = 0, digits = 0
        for c in s.utf8 {
            if c == UInt8(ascii: ".") {
                guard digits > 0, part < 3 else { return nil }
                switch part { case 0: a.0 = UInt8(value); case 1: a.1 = UInt8(value); default: a.2 = UInt8(value) }
                part += 1; value = 0; digits = 0
            } else if c >= 48 && c <= 57, digits < 3 {
                value = value * 10 + Int(c - 48); digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard part == 3, digits > 0 else { return nil }
        a.3 = UInt8(value)
        return [a.0, a.1, a.2, a.3]
    }

    static func parseV6(_ s: String) -> [UInt8]? {
        guard s.contains(":"), s.utf8.count <= 45 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let gs = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, g) in gs.enumerated() {
                if i == gs.count - 1, g.contains("."), let v4 = parseV4(g) {
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        var words: [UInt16]
        if let r = s.firstRange(of: "::") {
            let left = s[..<r.lowerBound], right = s[r.upperBound...]
            guard right.firstRange(of: "::") == nil, let a = groups(left), let b = groups(right),
                  a.count + b.count <= 7 else { return nil }
            words = a + Array(repeating: 0, count: 8 - a.count - b.count) + b
        } else {
            guard let g = groups(Substring(s)), g.count == 8 else { return nil }
            words = g
        }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static func hex(_ b: [UInt8]) -> String { Hex.encode(b) }

    static func fromHex<S: StringProtocol>(_ s: S) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count == 8 || u.count == 32 else { return nil }
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let h = nib(u[i]), let l = nib(u[i + 1]) else { return nil }
            out.append(h << 4 | l); i += 2
        }
        return out
    }
}
