/// Decodes `%XX` escapes (and `+` as space in query strings). Returns nil on a malformed escape,
/// which the server answers with 400, as Go's URL parser does.
public func percentDecode<C: Collection>(_ bytes: C, plusIsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = bytes.startIndex
    while i != bytes.endIndex {
        let c = bytes[i]
        if c == UInt8(ascii: "%") {
            let h = bytes.index(after: i)
            guard h != bytes.endIndex else { return nil }
            let l = bytes.index(after: h)
            guard l != bytes.endIndex, let hi = hexValue(bytes[h]), let lo = hexValue(bytes[l]) else { return nil }
            out.append(hi << 4 | lo)
            i = bytes.index(after: l)
            continue
        }
        out.append(plusIsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
        i = bytes.index(after: i)
    }
    return out
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Parses `a=1&b&c=x+y` into decoded items; nil when an escape is malformed.
public func parseQuery<C: Collection>(_ raw: C) -> QueryItems? where C.Element == UInt8, C.SubSequence: Collection {
    var items = QueryItems()
    for pair in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        let eq = pair.firstIndex(of: UInt8(ascii: "="))
        let rawName = pair[..<(eq ?? pair.endIndex)]
        let rawValue = eq.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
        guard let name = percentDecode(rawName, plusIsSpace: true),
              let value = percentDecode(rawValue, plusIsSpace: true) else { return nil }
        items.append(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
    return items
}

/// Percent-encodes everything except unreserved characters and those in `keep` (for building URLs).
public func percentEncode(_ s: String, keep: String = "/") -> String {
    let keepBytes = Array(keep.utf8)
    var out: [UInt8] = []
    let hex = Array("0123456789ABCDEF".utf8)
    for c in s.utf8 {
        let unreserved = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
        if unreserved || keepBytes.contains(c) {
            out.append(c)
        } else {
            out.append(UInt8(ascii: "%")); out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}
