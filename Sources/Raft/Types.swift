/// A server's identity in the Raft configuration (Consul uses the node ID).
public typealias ServerID = String

/// What an entry carries. Codes are stored on disk: append only.
public enum EntryKind: UInt8, Sendable {
    /// An FSM command (opaque bytes for Raft).
    case command = 0
    /// The empty entry a new leader appends to commit entries of earlier terms.
    case noop = 1
    /// A new cluster configuration (`Configuration.encoded`); takes effect when appended.
    case configuration = 2
}

public struct Entry: Equatable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var kind: EntryKind
    public var data: [UInt8]

    public init(index: UInt64, term: UInt64, kind: EntryKind = .command, data: [UInt8] = []) {
        self.index = index
        self.term = term
        self.kind = kind
        self.data = data
    }
}

/// Term and vote: what must be durable before this node says anything that depends on them.
public struct HardState: Equatable, Sendable {
    public var term: UInt64
    public var vote: ServerID?
    public init(term: UInt64 = 0, vote: ServerID? = nil) { self.term = term; self.vote = vote }
}

public enum Role: String, Equatable, Sendable {
    case follower, preCandidate, candidate, leader
}

/// Volatile facts the driver reports (`consul info`, `/v1/status/leader`).
public struct SoftState: Equatable, Sendable {
    public var role: Role
    public var leader: ServerID?
    public var term: UInt64
}

/// A snapshot as Raft moves it: metadata plus the FSM's serialized state.
public struct Snapshot: Equatable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var configuration: Configuration
    public var data: [UInt8]
    public init(index: UInt64, term: UInt64, configuration: Configuration, data: [UInt8]) {
        self.index = index
        self.term = term
        self.configuration = configuration
        self.data = data
    }
}

/// A linearizable read may be served once the applied index reaches `index`.
public struct ReadState: Equatable, Sendable {
    public var requestID: UInt64
    public var index: UInt64
}

/// The cluster membership: voters decide; non-voters (learners) only replicate.
public struct Configuration: Equatable, Sendable {
    public var voters: Set<ServerID>
    public var nonVoters: Set<ServerID>

    public init(voters: Set<ServerID> = [], nonVoters: Set<ServerID> = []) {
        self.voters = voters
        self.nonVoters = nonVoters
    }

    public var members: Set<ServerID> { voters.union(nonVoters) }
    public var quorum: Int { voters.count / 2 + 1 }

    /// `voters;nonvoters`, each comma-separated and sorted: stable bytes for the log.
    public var encoded: [UInt8] {
        Array((voters.sorted().joined(separator: ",") + ";" + nonVoters.sorted().joined(separator: ",")).utf8)
    }

    public init?(encoded: [UInt8]) {
        let text = String(decoding: encoded, as: UTF8.self)
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        voters = Set(parts[0].split(separator: ",").map(String.init))
        nonVoters = Set(parts[1].split(separator: ",").map(String.init))
    }
}

/// A single-server membership change (Raft dissertation §4.1): one at a time.
public enum ConfigurationChange: Equatable, Sendable {
    case addVoter(ServerID)
    case addNonVoter(ServerID)
    case promote(ServerID)
    case remove(ServerID)
}

public enum ProposeError: Error, Equatable, Sendable {
    case notLeader(leader: ServerID?)
    /// A leadership transfer is in progress; retry against the new leader.
    case transferring
    /// Another membership change has not committed yet.
    case configurationChangePending
    case invalidChange(String)
}
