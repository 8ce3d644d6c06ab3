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
        /// Lower-cased name suffix (wire labels) → offset of its first occurrence.
        var table: [[[UInt8]]: Int] = [:]

        init(compress: Bool) { self.compress = compress; bytes.reserveCapacity(512) }

        mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
        mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }

        /// Write `name` (presentation form, `\DDD` / `\X` escapes honoured).
        mutating func name(_ name: String, allowPointer: Bool = true) {
            let labels = DNSWriter.labels(name)
            let lower = labels.map { $0.map { (65...90).contains($0) ? $0 + 32 : $0 } }
            for i in 0..<labels.count {
                let suffix = Array(lower[i...])
                if compress, allowPointer, let off = table[suffix] {
                    u16(0xC000 | UInt16(off))
                    return
                }
                if compress, bytes.count < 0x3FFF, table[suffix] == nil { table[suffix] = bytes.count }
                bytes.append(UInt8(labels[i].count))
                bytes += labels[i]
            }
            bytes.append(0)
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
                    var u = Array(s.utf8)
                    repeat {
                        let chunk = Array(u.prefix(255)); u.removeFirst(chunk.count)
                        bytes.append(UInt8(chunk.count)); bytes += chunk
                    } while !u.isEmpty
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
