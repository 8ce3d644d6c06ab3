import Wire
import Platform

/// serf's view of a member's status (numbered as serf numbers them).
public enum MemberStatus: Int, Equatable, Sendable, CustomStringConvertible {
    case none = 0, alive = 1, leaving = 2, left = 3, failed = 4
    public var description: String {
        switch self {
        case .none: "none"
        case .alive: "alive"
        case .leaving: "leaving"
        case .left: "left"
        case .failed: "failed"
        }
    }
}

public struct SerfMember: Equatable, Sendable {
    public var name: String
    public var addr: IPBytes
    public var port: UInt16
    public var tags: [String: String]
    public var status: MemberStatus
    /// pmin, pmax, pcur, dmin, dmax, dcur as advertised.
    public var vsn: [UInt8]
    /// The Lamport time of the intent that last set the status.
    var statusLTime: UInt64 = 0
    /// When it failed or left (for reaping).
    var leaveTime: Instant?

    /// A member as a caller describes it (simulations and tests standing in for gossip).
    public init(name: String, addr: IPBytes, port: UInt16, tags: [String: String], status: MemberStatus, vsn: [UInt8] = []) {
        self.name = name
        self.addr = addr
        self.port = port
        self.tags = tags
        self.status = status
        self.vsn = vsn
    }

    public var address: SocketAddress { SocketAddress(host: IPText.text(addr) ?? "0.0.0.0", port: Int(port)) }
    public var protocolMin: UInt8 { vsn.count == 6 ? vsn[0] : 0 }
    public var protocolMax: UInt8 { vsn.count == 6 ? vsn[1] : 0 }
    public var protocolCur: UInt8 { vsn.count == 6 ? vsn[2] : 0 }
    public var delegateMin: UInt8 { vsn.count == 6 ? vsn[3] : 0 }
    public var delegateMax: UInt8 { vsn.count == 6 ? vsn[4] : 0 }
    public var delegateCur: UInt8 { vsn.count == 6 ? vsn[5] : 0 }
}

/// What serf tells the application (Consul's leader reconciles the catalog from these).
public enum SerfEvent: Equatable, Sendable {
    case memberJoin(SerfMember)
    case memberLeave(SerfMember)
    case memberFailed(SerfMember)
    case memberUpdate(SerfMember)
    case memberReap(SerfMember)
    case user(name: String, payload: [UInt8], ltime: UInt64, coalesce: Bool)
}
