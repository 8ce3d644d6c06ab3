import ConsulAPI
@testable import ConsulState
import Testing

/// `StateStore.image()`: a copy of the tables that later changes do not reach, encoded in pieces
/// that are exactly the snapshot's bytes.
@Suite struct StateImageTests {
    private func loaded() -> StateStore {
        let store = StateStore()
        for i in 1...300 {
            store.apply(.kvSet(key: "app/\(i % 7)/k\(i)", value: Array(String(repeating: "v\(i)", count: i % 50).utf8), flags: UInt64(i)),
                        at: UInt64(i))
        }
        var r = RegisterRequest()
        r.node.node = "n1"
        r.node.address = "10.0.0.1"
        var s = NodeService()
        s.service = "web"
        s.id = "web-1"
        r.service = s
        store.apply(.catalogRegister(r), at: 301)
        store.apply(.kvDelete(key: "app/1/k1"), at: 302)
        return store
    }

    @Test func imageIsUntouchedByLaterChanges() {
        let store = loaded()
        let before = store.snapshot()
        let image = store.image()
        store.apply(.kvSet(key: "app/1/k8", value: Array("changed".utf8), flags: 0), at: 303)
        store.apply(.kvDelete(key: "app/2/k2"), at: 304)
        store.apply(.catalogDeregister(DeregisterRequest(node: "n1")), at: 305)
        #expect(image.bytes == before)
        #expect(store.snapshot() != before)
    }

    @Test func piecesAreTheSnapshotInOrder() throws {
        let store = loaded()
        let whole = store.snapshot()
        for chunk in [1, 100, 1000, 4096, whole.count, whole.count + 1] {
            var pieces: [[UInt8]] = []
            store.image().encode(chunkBytes: chunk) { pieces.append($0) }
            #expect(pieces.flatMap { $0 } == whole, "chunk \(chunk)")
            // Every piece but the last reaches the chunk size; none is empty.
            #expect(pieces.dropLast().allSatisfy { $0.count >= chunk }, "chunk \(chunk)")
            #expect(pieces.allSatisfy { !$0.isEmpty }, "chunk \(chunk)")
        }
        // An empty store is still one piece (the version and empty tables).
        var pieces: [[UInt8]] = []
        StateStore().image().encode(chunkBytes: 8) { pieces.append($0) }
        #expect(pieces.flatMap { $0 } == StateStore().snapshot())
        let restored = StateStore()
        try restored.restore(whole)
        #expect(restored.snapshot() == whole)
    }
}
