/// The last `limit` bytes of a stream, and how many bytes went by in total (Consul's circular
/// check-output buffer).
struct OutputTail {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var total = 0

    init(limit: Int) { self.limit = max(0, limit) }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += chunk.count
        guard limit > 0 else { return }
        if chunk.count >= limit {
            bytes = Array(chunk[(chunk.count - limit)...])
            return
        }
        let overflow = bytes.count + chunk.count - limit
        if overflow > 0 { bytes.removeFirst(overflow) }
        bytes.append(contentsOf: chunk)
    }
}
