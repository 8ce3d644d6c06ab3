
/// Replaces one file atomically (temp file, fsync, rename, directory fsync) on libuv's thread
/// pool, so the loop never waits on the disk. Only the newest contents matter: a write asked
/// for while another runs replaces any still-queued one. Loop-confined.
public final class FileReplacer {
    private let path: String
    private let directory: String
    private let loop: EventLoop
    private var queued: [UInt8]?
    private var running = false
    /// Called on the loop after each write with whether it became durable.
    public var onWritten: (Bool) -> Void = { _ in }

    public init(path: String, loop: EventLoop) {
        self.path = path
        self.loop = loop
        directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    }

    public func write(_ bytes: [UInt8]) {
        queued = bytes
        startNext()
    }

    private func startNext() {
        guard !running, let bytes = queued else { return }
        queued = nil
        running = true
        let op = RecordOperation(path: path, bytes: bytes) { _ in }
        op.directory = directory.isEmpty ? "." : directory
        loop.runOnPool({ () -> Bool in
            op.perform()
            return op.succeeded
        }, then: { [self] succeeded in
            running = false
            onWritten(succeeded)
            startNext()
        })
    }
}
