import Raft

/// Carries Raft messages between servers. The live implementation frames them over TCP (the
/// cluster issue); the simulation delivers them through its fake network.
public protocol RaftTransport: AnyObject {
    func send(_ message: Message)
}
