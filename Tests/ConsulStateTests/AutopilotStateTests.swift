@testable import ConsulState
import Testing

/// Autopilot settings live in the replicated state: set, check-and-set, and snapshots.
@Suite struct AutopilotStateTests {
    /// Proves a set keeps CreateIndex, moves ModifyIndex, honours `cas`, survives snapshot and
    /// restore, and round-trips through the command codec.
    @Test func setCASAndSnapshot() throws {
        let store = StateStore()
        #expect(store.autopilot == nil)
        #expect(store.apply(.autopilotSet(json: Array("a".utf8), cas: nil), at: 1) == .bool(true))
        #expect(store.autopilot == StoredSettings(json: Array("a".utf8), createIndex: 1, modifyIndex: 1))
        #expect(store.apply(.autopilotSet(json: Array("b".utf8), cas: 7), at: 2) == .bool(false))
        #expect(store.autopilot?.json == Array("a".utf8))
        #expect(store.apply(.autopilotSet(json: Array("c".utf8), cas: 1), at: 3) == .bool(true))
        #expect(store.autopilot == StoredSettings(json: Array("c".utf8), createIndex: 1, modifyIndex: 3))

        let restored = StateStore()
        try restored.restore(store.snapshot())
        #expect(restored.autopilot == store.autopilot)

        for command in [Command.autopilotSet(json: [1, 2, 3], cas: nil), .autopilotSet(json: [], cas: 42)] {
            #expect(try Command(encoded: command.encoded) == command)
        }
    }
}
