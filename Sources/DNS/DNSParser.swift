// Bounds-checked DNS message parser. Never traps on any input: every read is checked,
// compression pointers must point strictly backwards and are capped in number.

public enum DNSParseError: Error, Equatable, Sendable {
    /// Fewer than 12 bytes: no header (the responder drops these; no id to answer to).
    case truncatedHeader
    /// A read ran past the end of the packet (at this offset).
    case truncated(at: Int)
    /// A label length byte with reserved high bits 01/10 (EDNS extended labels are not supported).
    case badLabelLength(at: Int)
    /// A compression pointer that does not point strictly backwards, or too many pointers.
    case compressionLoop(at: Int)
    /// A name longer than 255 bytes on the wire.
    case nameTooLong
    /// An RR's rdata does not fit its declared length or type.
    case badRData(at: Int)
    /// More than one OPT record, or an OPT not owned by the root.
    case badOPT
}

public enum DNSParser {
    public static let maxPointerJumps = 32

    /// Parse a full message. Answer and authority records are parsed (and kept as raw rdata
    /// unless A/AAAA); OPT in the additional section fills `edns`.
    public static func parse(_ bytes: [UInt8]) throws(DNSParseError) -> DNSMessage {
        var r = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw .truncatedHeader }
        var m = DNSMessage()
        let id = try r.u16()
        let flags = try r.u16()
        m.header = DNSHeader(id: id, flags: flags)
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        // Each question needs ≥5 bytes; each RR ≥11. Reject impossible counts up front.
        if qd * 5 + (an + ns + ar) * 11 > bytes.count - 12 { throw .truncated(at: bytes.count) }
        for _ in 0..<qd {
            let name = try r.name()
            let t = try r.u16(), c = try r.u16()
            m.questions.append(DNSQuestion(name: name, type: DNSType(t), qclass: c))
        }
        for _ in 0..<an { m.answers.append(try r.record()) }
        for _ in 0..<ns { m.authority.append(try r.record()) }
        for _ in 0..<ar {
            let rec = try r.record()
            if rec.type == .opt {
                guard m.edns == nil, rec.name == "." else { throw .badOPT }
                var e = DNSEDNS(udpPayloadSize: rec.rclass)
                e.extendedRCode = UInt8(rec.ttl >> 24)
                e.version = UInt8((rec.ttl >> 16) & 0xFF)
                e.dnssecOK = rec.ttl & 0x8000 != 0
                if case .raw(let o) = rec.data { e.options = o }
                m.edns = e
            } else {
                m.additional.append(rec)
            }
        }
        return m
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        mutating func u8() throws(DNSParseError) -> UInt8 {
            guard pos < bytes.count else { throw .truncated(at: pos) }
            defer { pos += 1 }
            return bytes[pos]
        }
        mutating func u16() throws(DNSParseError) -> UInt16 {
            guard pos + 2 <= bytes.count else { throw .truncated(at: pos) }
            defer { pos += 2 }
            return UInt16(bytes[pos]) << 8 | UInt16(bytes[pos + 1])
        }
        mutating func u32() throws(DNSParseError) -> UInt32 {
            let hi = try u16(), lo = try u16()
            return UInt32(hi) << 16 | UInt32(lo)
        }
        mutating func take(_ n: Int) throws(DNSParseError) -> [UInt8] {
            guard n >= 0, pos + n <= bytes.count else { throw .truncated(at: pos) }
            defer { pos += n }
            return Array(bytes[pos..<pos + n])
        }

        /// Read a (possibly compressed) name; returns presentation form with trailing dot,
        /// escaping `.`, `\` and non-printable bytes as `\DDD`. Two passes over the wire form
        /// (validate and measure, then write), so the String is built in place: one allocation
        /// at most (none for names of up to 15 bytes).
        mutating func name() throws(DNSParseError) -> String {
            let start = pos
            var textLen = 0
            var wireLen = 0
            var p = pos
            var jumped = false
            var jumps = 0
            var lowest = pos   // pointers must go strictly below every position visited so far
            var end = pos
            while true {
                guard p < bytes.count else { throw .truncated(at: p) }
                let len = bytes[p]
                switch len & 0xC0 {
                case 0x00:
                    if len == 0 {
                        if !jumped { end = p + 1 }
                        wireLen += 1
                        guard wireLen <= 255 else { throw .nameTooLong }
                        pos = end
                        if textLen == 0 { return "." }
                        return String(unsafeUninitializedCapacity: textLen) { buffer in
                            Reader.writeName(bytes, from: start, into: buffer)
                        }
                    }
                    let n = Int(len)
                    guard p + 1 + n <= bytes.count else { throw .truncated(at: p) }
                    wireLen += n + 1
                    guard wireLen <= 255 else { throw .nameTooLong }
                    for i in (p + 1)...(p + n) { textLen += Reader.isPlain(bytes[i]) ? 1 : 4 }
                    textLen += 1
                    p += 1 + n
                case 0xC0:
                    guard p + 1 < bytes.count else { throw .truncated(at: p) }
                    let target = Int(len & 0x3F) << 8 | Int(bytes[p + 1])
                    jumps += 1
                    guard target < lowest, jumps <= DNSParser.maxPointerJumps else {
                        throw .compressionLoop(at: p)
                    }
                    if !jumped { end = p + 2; jumped = true }
                    lowest = target
                    p = target
                default:
                    throw .badLabelLength(at: p)
                }
            }
        }

        @inline(__always) static func isPlain(_ b: UInt8) -> Bool {
            !(b == UInt8(ascii: ".") || b == UInt8(ascii: "\\") || b < 0x21 || b > 0x7E)
        }

        /// Second pass of `name()`: the name at `p` (already validated) in presentation form.
        static func writeName(_ bytes: [UInt8], from p: Int, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
            var p = p, o = 0
            while true {
                let len = bytes[p]
                if len == 0 { return o }
                if len & 0xC0 == 0xC0 { p = Int(len & 0x3F) << 8 | Int(bytes[p + 1]); continue }
                for i in (p + 1)...(p + Int(len)) {
                    let b = bytes[i]
                    if isPlain(b) {
                        out[o] = b; o += 1
                    } else {
                        out[o] = UInt8(ascii: "\\")
                        out[o + 1] = UInt8(ascii: "0") + b / 100
                        out[o + 2] = UInt8(ascii: "0") + (b / 10) % 10
                        out[o + 3] = UInt8(ascii: "0") + b % 10
                        o += 4
                    }
                }
                out[o] = UInt8(ascii: "."); o += 1
                p += 1 + Int(len)
            }
        }

        mutating func record() throws(DNSParseError) -> DNSRecord {
            let name = try name()
            let type = DNSType(try u16())
            let cls = try u16()
            let ttl = try u32()
            let rdlen = Int(try u16())
            let start = pos
            guard pos + rdlen <= bytes.count else { throw .truncated(at: pos) }
            let data: DNSRData
            switch type {
            case .a:
                guard rdlen == 4 else { throw .badRData(at: start) }
                data = .a(try take(4))
            case .aaaa:
                guard rdlen == 16 else { throw .badRData(at: start) }
                data = .aaaa(try take(16))
            default:
                data = .raw(try take(rdlen))
            }
            return DNSRecord(name: name, type: type, rclass: cls, ttl: ttl, data: data)
        }
    }
}
