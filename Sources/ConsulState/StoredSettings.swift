/// An operator setting kept in Raft as the API's JSON, with the indexes the API reports.
public struct StoredSettings: Equatable, Sendable {
    public var json: [UInt8]
    public var createIndex: UInt64
    public var modifyIndex: UInt64
}
