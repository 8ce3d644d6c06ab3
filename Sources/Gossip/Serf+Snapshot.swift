/// What a restarted agent carries over from its previous run (serf's snapshot journal).
extension Serf {
    /// Lamport clocks from the snapshot: never reuse times this member already handed out.
    public func restoreClocks(member: UInt64, event: UInt64, query: UInt64) {
        if member > 0 { clock.witness(member - 1) }
        if event > 0 { eventClock.witness(event - 1) }
        if query > 0 { queryClock.witness(query - 1) }
    }
}
