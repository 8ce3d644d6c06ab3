import ConsulAPI

/// Every mutation of the replicated state is one of these values, applied at a Raft index.
/// In dev mode the agent applies them directly; once Raft lands, committed log entries carry
/// them. New cases are appended, never reordered (their codes become a wire format).
public enum Command: Equatable, Sendable {
    /// Set a value and flags; an existing lock (Session, LockIndex) is kept.
    case kvSet(key: String, value: [UInt8], flags: UInt64)
    /// Set only if the entry's ModifyIndex equals `index` (0 = only if absent).
    case kvCAS(key: String, value: [UInt8], flags: UInt64, index: UInt64)
    case kvDelete(key: String)
    /// Delete only if the entry's ModifyIndex equals `index`; an absent key counts as success.
    case kvDeleteCAS(key: String, index: UInt64)
    /// Delete every key starting with `prefix` (the empty prefix deletes everything).
    case kvDeleteTree(prefix: String)
    /// Register (or update) a node, optionally a service, and checks.
    case catalogRegister(RegisterRequest)
    /// Remove a node (with its services and checks), one service (with its checks), or one check.
    case catalogDeregister(DeregisterRequest)
    /// Create a session (its ID chosen by the proposer); refused unless its node and checks are healthy.
    case sessionCreate(Session)
    /// Invalidate a session: its locks are released or its keys deleted, per its behavior.
    case sessionDestroy(id: String)
    /// Restart a session's TTL clock; answers the session, or `false` when it is gone.
    case sessionRenew(id: String)
    /// `?acquire=`: take (or keep) the key's lock for `session` and write the value.
    case kvLock(key: String, value: [UInt8], flags: UInt64, session: String)
    /// `?release=`: drop `session`'s lock and write the value.
    case kvUnlock(key: String, value: [UInt8], flags: UInt64, session: String)
    /// `/v1/txn`: every operation applies, or none does.
    case txn([TxnOp])
    /// Create or replace a prepared query (its ID chosen by the proposer).
    case querySet(PreparedQuery, create: Bool)
    case queryDelete(id: String)
    /// Autopilot's settings as the operator API's JSON (opaque here); with `cas`, only if the
    /// stored ModifyIndex equals it.
    case autopilotSet(json: [UInt8], cas: UInt64?)
    /// Agents' network coordinates, batched (Consul's Coordinate.Update).
    case coordinateBatchUpdate([NodeCoordinate])
    /// `PUT /v1/snapshot`: replace the whole state with a verified archive's (`compressed` is its
    /// `state.lz4`, `size` the bytes once inflated). Indexes keep moving forward (docs/snapshot.md).
    case restoreState(compressed: [UInt8], size: UInt64)
}

/// What an applied command reports back to whoever proposed it.
public enum CommandResult: Equatable, Sendable {
    /// KV writes answer `true`/`false` (CAS outcome).
    case bool(Bool)
    /// The command was refused by the state machine (every replica refuses it alike).
    case failure(String)
    /// A JSON answer built by the state machine (txn results, a renewed session); `ok` false
    /// means the request failed as a whole (a txn's 409).
    case json(ok: Bool, body: [UInt8])
}
