import CLibUV

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
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(ReplaceJob(replacer: self, op: op)).toOpaque()
        let status = uv_queue_work(loop.loop, request, { request in
            Unmanaged<ReplaceJob>.fromOpaque(request!.pointee.data).takeUnretainedValue().op.perform()
        }, { request, _ in
            let job = Unmanaged<ReplaceJob>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.replacer.running = false
            job.replacer.onWritten(job.op.succeeded)
            job.replacer.startNext()
        })
        if status != 0 {
            Unmanaged<ReplaceJob>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            running = false
            onWritten(false)
        }
    }
}

private final class ReplaceJob {
    let replacer: FileReplacer
    let op: RecordOperation
    init(replacer: FileReplacer, op: RecordOperation) {
        self.replacer = replacer
        self.op = op
    }
}
