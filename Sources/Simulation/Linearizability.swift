/// Checks one key's history against a sequential register that may be absent (Wing & Gong's
/// search with memoization, per key). Failed operations never happened; unknown ones may have
/// taken effect at any point after their invocation.
public enum LinearizabilityChecker {
    public enum Verdict: Equatable { case linearizable, violation(String), inconclusive }

    public static func check(_ history: [Operation], stepLimit: Int = 2_000_000) -> Verdict {
        var byKey: [String: [Operation]] = [:]
        for op in history where op.outcome != .failed {
            if op.kind == .get && op.outcome == .unknown { continue } // a read with no answer constrains nothing
            byKey[op.key, default: []].append(op)
        }
        for key in byKey.keys.sorted() {
            var search = Search(ops: byKey[key]!.sorted { $0.invoked < $1.invoked }, stepLimit: stepLimit)
            switch search.run() {
            case .some(true): continue
            case .some(false):
                let ops = byKey[key]!.map(\.description).joined(separator: "\n  ")
                return .violation("key \(key) is not linearizable:\n  \(ops)")
            case .none:
                return .inconclusive
            }
        }
        return .linearizable
    }

    private struct Search {
        let ops: [Operation]
        let stepLimit: Int
        var steps = 0
        var failed: Set<Memo> = []

        struct Memo: Hashable { var done: [UInt64]; var state: String? }

        init(ops: [Operation], stepLimit: Int) {
            self.ops = ops
            self.stepLimit = stepLimit
        }

        mutating func run() -> Bool? {
            let done = [UInt64](repeating: 0, count: (ops.count + 63) / 64)
            return explore(done: done, state: nil)
        }

        private mutating func explore(done: [UInt64], state: String?) -> Bool? {
            steps += 1
            if steps > stepLimit { return nil }
            // The earliest response among pending operations that did respond.
            var minResponse = UInt64.max
            var pendingKnown = false
            for (i, op) in ops.enumerated() where !isDone(done, i) && op.outcome != .unknown {
                pendingKnown = true
                minResponse = min(minResponse, op.completed)
            }
            if !pendingKnown { return true }
            let memo = Memo(done: done, state: state)
            if failed.contains(memo) { return false }
            for (i, op) in ops.enumerated() where !isDone(done, i) && op.invoked <= minResponse {
                guard let next = apply(op, to: state) else { continue }
                var d = done
                d[i / 64] |= 1 << UInt64(i % 64)
                switch explore(done: d, state: next) {
                case .some(true): return true
                case .none: return nil
                case .some(false): continue
                }
            }
            failed.insert(memo)
            return false
        }

        private func isDone(_ done: [UInt64], _ i: Int) -> Bool { done[i / 64] & (1 << UInt64(i % 64)) != 0 }

        /// The register after `op`, or nil if `op`'s observed result is impossible from `state`.
        private func apply(_ op: Operation, to state: String?) -> String?? {
            switch op.kind {
            case .put(let v):
                return .some(v)
            case .delete:
                return .some(nil)
            case .get:
                guard case .value(let seen) = op.outcome, seen == state else { return nil }
                return .some(state)
            case .createIfAbsent(let v):
                let created = state == nil
                if case .created(let observed) = op.outcome, observed != created { return nil }
                return .some(created ? v : state)
            case .compareAndSet(let expected, let v):
                let applied = state == expected
                if case .created(let observed) = op.outcome, observed != applied { return nil }
                return .some(applied ? v : state)
            }
        }
    }
}
