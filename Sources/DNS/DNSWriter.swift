// DNS message serializer with name compression (RFC 1035 §4.1.4).

public enum DNSWriter {
    /// Serialize `m`. With `compress`, owner names and the names inside NS/CNAME/PTR/SOA rdata
    /// are compressed; SRV targets are written uncompressed (RFC 2782) but can be pointed at.
    public static func serialize(_ m: DNSMessage, compress: Bool = true) -> [UInt8] {
        var w = Writer(compress: compress)
        w.u16(m.header.id)
        w.u16(m.header.flags)
        w.u16(UInt16(truncatingIfNeeded: m.questions.count))
        w.u16(UInt16(truncatingIfNeeded: m.answers.count))
        w.u16(UInt16(truncatingIfNeeded: m.authority.count))
        w.u16(UInt16(truncatingIfNeeded: m.additional.count + (m.edns == nil ? 0 : 1)))
        for q in m.questions {
            w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.qclass)
        }
        for r in m.answers { w.record(r) }
        for r in m.authority { w.record(r) }
        for r in m.additional { w.record(r) }
        if let e = m.edns {
            w.bytes.append(0)                       // root owner
            w.u16(DNSType.opt.rawValue)
            w.u16(e.udpPayloadSize)
            w.u32(UInt32(e.extendedRCode) << 24 | UInt32(e.version) << 16 | (e.dnssecOK ? 0x8000 : 0))
            w.u16(UInt16(truncatingIfNeeded: e.options.count))
            w.bytes += e.options
        }
        return w.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []
        let compress: Bool
        /// Offsets of every name suffix written so far (each the start of a label, < 0x4000), in
        /// order of first occurrence. Compared in place against the message: no per-name keys.
        var table: [Int] = []

        init(compress: Bool) {
            self.compress = compress
            bytes.reserveCapacity(512)
            if compress { table.reserveCapacity(16) }
        }

        mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
        mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }

        /// Write `name` (presentation form, `\DDD` / `\X` escapes honoured). The labels go straight
        /// into `bytes`; with compression, the longest suffix already in the message is then
        /// replaced by a pointer to it (unless `allowPointer` is false: SRV targets).
        mutating func name(_ name: String, allowPointer: Bool = true) {
            let start = bytes.count
            DNSWriter.appendWire(name, to: &bytes)
            guard compress else { return }
            // First label (longest suffix) that is already in the message.
            var p = start
            var match: Int?
            while bytes[p] != 0 {
                if let off = find(suffixAt: p) { match = off; break }
                p += 1 + Int(bytes[p])
            }
            // Remember the suffixes before the match (the rest are known already).
            var q = start
            while q < p {
                if q < 0x4000 { table.append(q) }
                q += 1 + Int(bytes[q])
            }
            if allowPointer, let off = match {
                bytes.removeLast(bytes.count - p)
                u16(0xC000 | UInt16(off))
            }
        }

        /// The offset of an earlier name suffix equal (ASCII case-insensitively) to the labels at `p`.
        func find(suffixAt p: Int) -> Int? {
            for off in table where DNSWriter.sameName(bytes, p, off) { return off }
            return nil
        }

        mutating func record(_ r: DNSRecord) {
            name(r.name)
            u16(r.type.rawValue)
            u16(r.rclass)
            u32(r.ttl)
            let lenAt = bytes.count
            u16(0)
            switch r.data {
            case .a(let b), .aaaa(let b), .raw(let b): bytes += b
            case .ns(let n), .cname(let n), .ptr(let n): name(n)
            case .txt(let strings):
                for s in strings {
                    // Character-strings of at most 255 bytes each; "" is one empty string.
                    let u = s.utf8
                    var i = u.startIndex
                    var left = u.count
                    repeat {
                        let n = min(left, 255)
                        let j = u.index(i, offsetBy: n)
                        bytes.append(UInt8(n))
                        bytes.append(contentsOf: u[i..<j])
                        i = j
                        left -= n
                    } while left > 0
                }
                if strings.isEmpty { bytes.append(0) }
            case .srv(let pri, let weight, let port, let target):
                u16(pri); u16(weight); u16(port)
                name(target, allowPointer: false)
            case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
                name(mname); name(rname)
                u32(serial); u32(refresh); u32(retry); u32(expire); u32(minimum)
            }
            let len = bytes.count - lenAt - 2
            bytes[lenAt] = UInt8(len >> 8); bytes[lenAt + 1] = UInt8(len & 0xFF)
        }
    }

    /// Whether the (uncompressed) labels at `a` equal the name at `b`, which may end in a pointer;
    /// both inside `bytes`, which the writer built (pointers there always point backwards).
    static func sameName(_ bytes: [UInt8], _ a: Int, _ b: Int) -> Bool {
        var a = a, b = b
        while true {
            var lb = bytes[b]
            while lb & 0xC0 == 0xC0 {
                b = Int(lb & 0x3F) << 8 | Int(bytes[b + 1])
                lb = bytes[b]
            }
            let la = bytes[a]
            guard la == lb else { return false }
            if la == 0 { return true }
            for i in 1...Int(la) where lower(bytes[a + i]) != lower(bytes[b + i]) { return false }
            a += 1 + Int(la); b += 1 + Int(lb)
        }
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }

    /// Append `name` in wire form (labels, then the root's 0). Escapes: `\DDD` (decimal) and
    /// `\X`. Empty labels are skipped; labels longer than 63 bytes are cut to 63 (the responder
    /// never builds such names).
    static func appendWire(_ name: String, to out: inout [UInt8]) {
        var lenAt = out.count
        out.append(0)
        var len = 0
        var pending = 0   // escape state: 0 none, 1 after "\\", 2-4 inside \DDD (digits seen = pending-1)
        var value = 0
        func put(_ c: UInt8, _ out: inout [UInt8]) {
            if len < 63 { out.append(c); len += 1 }
        }
        var u = name.utf8.makeIterator()
        var lookahead: UInt8? = nil
        while let c = lookahead ?? u.next() {
            lookahead = nil
            if pending == 1 {
                if c >= 48 && c <= 57 { pending = 2; value = Int(c - 48); continue }
                pending = 0; put(c, &out); continue
            }
            if pending >= 2 {
                if c >= 48 && c <= 57 {
                    value = value * 10 + Int(c - 48)
                    pending += 1
                    if pending == 4 { pending = 0; put(UInt8(truncatingIfNeeded: value), &out) }
                    continue
                }
                // Fewer than three digits: the backslash escaped the first digit only.
                let digits = pending - 1
                pending = 0
                var ds: [UInt8] = []
                var v = value
                for _ in 0..<digits { ds.insert(UInt8(48 + v % 10), at: 0); v /= 10 }
                for d in ds { put(d, &out) }
                lookahead = c
                continue
            }
            if c == UInt8(ascii: "\\") { pending = 1; continue }
            if c == UInt8(ascii: ".") {
                if len > 0 { out[lenAt] = UInt8(len); lenAt = out.count; out.append(0); len = 0 }
                continue
            }
            put(c, &out)
        }
        if pending == 1 { put(UInt8(ascii: "\\"), &out) }
        if pending >= 2 {
            var ds: [UInt8] = []
            var v = value
            for _ in 0..<(pending - 1) { ds.insert(UInt8(48 + v % 10), at: 0); v /= 10 }
            for d in ds { put(d, &out) }
        }
        if len > 0 { out[lenAt] = UInt8(len); out.append(0) }
    }

    /// Split a presentation-form name into wire labels (root → []). Labels longer than 63
    /// bytes are cut to 63 (the responder never builds such names).
    static func labels(_ name: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var cur: [UInt8] = []
        let u = Array(name.utf8)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "\\"), i + 1 < u.count {
                if i + 3 < u.count, u[(i + 1)...(i + 3)].allSatisfy({ (48...57).contains($0) }) {
                    let v = Int(u[i + 1] - 48) * 100 + Int(u[i + 2] - 48) * 10 + Int(u[i + 3] - 48)
                    cur.append(UInt8(truncatingIfNeeded: v)); i += 4; continue
                }
                cur.append(u[i + 1]); i += 2; continue
            }
            if c == UInt8(ascii: ".") {
                if !cur.isEmpty { out.append(Array(cur.prefix(63))) }
                cur = []
            } else {
                cur.append(c)
            }
            i += 1
        }
        if !cur.isEmpty { out.append(Array(cur.prefix(63))) }
        return out
    }
}
