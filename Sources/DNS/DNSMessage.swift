// DNS message model (RFC 1035, RFC 6891 EDNS0). Pure values; no I/O.

/// A resource-record type code.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ v: UInt16) { rawValue = v }
    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let mx = DNSType(15)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let opt = DNSType(41)
    public static let axfr = DNSType(252)
    public static let any = DNSType(255)
    public var description: String { "TYPE\(rawValue)" }
}

/// Response codes used by the responder.
public struct DNSRCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let noError = DNSRCode(rawValue: 0)
    public static let formErr = DNSRCode(rawValue: 1)
    public static let servFail = DNSRCode(rawValue: 2)
    public static let nxDomain = DNSRCode(rawValue: 3)
    public static let notImp = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)
}

/// The 12-byte header, with the flags word broken out.
public struct DNSHeader: Equatable, Sendable {
    public var id: UInt16 = 0
    public var qr = false
    public var opcode: UInt8 = 0
    public var aa = false
    public var tc = false
    public var rd = false
    public var ra = false
    public var rcode: DNSRCode = .noError
    public init() {}

    public var flags: UInt16 {
        var f: UInt16 = 0
        if qr { f |= 0x8000 }
        f |= UInt16(opcode & 0x0F) << 11
        if aa { f |= 0x0400 }
        if tc { f |= 0x0200 }
        if rd { f |= 0x0100 }
        if ra { f |= 0x0080 }
        f |= UInt16(rcode.rawValue & 0x0F)
        return f
    }

    public init(id: UInt16, flags f: UInt16) {
        self.id = id
        qr = f & 0x8000 != 0
        opcode = UInt8((f >> 11) & 0x0F)
        aa = f & 0x0400 != 0
        tc = f & 0x0200 != 0
        rd = f & 0x0100 != 0
        ra = f & 0x0080 != 0
        rcode = DNSRCode(rawValue: UInt8(f & 0x0F))
    }
}

public struct DNSQuestion: Equatable, Sendable {
    /// Fully-qualified, with trailing dot, as sent (case preserved).
    public var name: String
    public var type: DNSType
    public var qclass: UInt16
    public init(name: String, type: DNSType, qclass: UInt16 = 1) {
        self.name = name; self.type = type; self.qclass = qclass
    }
}

/// Record data for the types the responder emits. `raw` keeps anything else verbatim.
public enum DNSRData: Equatable, Sendable {
    case a([UInt8])                 // 4 bytes
    case aaaa([UInt8])              // 16 bytes
    case ns(String)
    case cname(String)
    case ptr(String)
    case txt([String])
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case soa(mname: String, rname: String, serial: UInt32, refresh: UInt32, retry: UInt32,
             expire: UInt32, minimum: UInt32)
    case raw([UInt8])

    public var type: DNSType? {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .txt: return .txt
        case .srv: return .srv
        case .soa: return .soa
        case .raw: return nil
        }
    }
}

public struct DNSRecord: Equatable, Sendable {
    public var name: String
    public var type: DNSType
    public var rclass: UInt16
    public var ttl: UInt32
    public var data: DNSRData
    public init(name: String, ttl: UInt32, data: DNSRData, rclass: UInt16 = 1) {
        self.name = name; self.ttl = ttl; self.data = data; self.rclass = rclass
        self.type = data.type ?? DNSType(0)
    }
    public init(name: String, type: DNSType, rclass: UInt16, ttl: UInt32, data: DNSRData) {
        self.name = name; self.type = type; self.rclass = rclass; self.ttl = ttl; self.data = data
    }
}

/// The EDNS0 OPT pseudo-record.
public struct DNSEDNS: Equatable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRCode: UInt8 = 0
    public var version: UInt8 = 0
    public var dnssecOK = false
    /// Raw option bytes (code/length/value triples), echoed verbatim only if asked.
    public var options: [UInt8] = []
    public init(udpPayloadSize: UInt16) { self.udpPayloadSize = udpPayloadSize }
}

public struct DNSMessage: Equatable, Sendable {
    public var header = DNSHeader()
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authority: [DNSRecord] = []
    /// Additional records, excluding OPT (see `edns`).
    public var additional: [DNSRecord] = []
    public var edns: DNSEDNS?
    public init() {}
}
